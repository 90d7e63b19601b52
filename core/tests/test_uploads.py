"""upload_lines: JSON lines to a presigned form target, the target's fields first, sent once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fusionhub.plugin import PlatformError, RequestMeta, multipart_fields, upload_lines

TARGET = "https://uploads.storage.test/"


def _upload(status: int, seen: list[httpx.Request]) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status)

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as client:
            objects = [{"id": 1, "tags": ["a"]}, {"id": 2}]
            fields = {"key": "tmp/vars.jsonl", "policy": "p"}
            await upload_lines(client, TARGET, objects, fields=fields, filename="vars.jsonl", operation="vars")

    asyncio.run(go())


def test_the_fields_go_first_then_the_file_of_json_lines() -> None:
    seen: list[httpx.Request] = []
    _upload(201, seen)
    (request,) = seen
    parts = multipart_fields(request)
    assert list(parts) == ["key", "policy", "file"] and parts["key"] == b"tmp/vars.jsonl"
    assert parts["file"] == b'{"id":1,"tags":["a"]}\n{"id":2}\n'
    assert b'filename="vars.jsonl"' in request.content and b"Content-Type: text/jsonl" in request.content
    options = request.extensions["fusionhub"]
    assert isinstance(options, RequestMeta) and options.cost == 0 and options.retry is False


def test_a_refused_upload_is_a_platform_error_naming_the_operation() -> None:
    with pytest.raises(PlatformError, match=r"upload \(vars\) answered 403"):
        _upload(403, [])
