"""Reading request bodies as platforms receive them: URL-encoded forms and multipart uploads."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs

import httpx


def form_fields(request: httpx.Request) -> dict[str, list[str]]:
    """An `application/x-www-form-urlencoded` body: every value of each field, blanks kept."""
    return parse_qs(request.content.decode(), keep_blank_values=True)


def multipart_fields(request: httpx.Request) -> dict[str, bytes]:
    """A `multipart/form-data` body: each named part's decoded bytes (empty if the body is not multipart)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return {}
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    out: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            out[name] = payload
    return out
