"""JSON lines sent to a presigned form-upload target (S3 / Google Cloud Storage style), the twin of `download_lines`.

Platforms that take a large input as a file (a bulk operation's variables, a feed) hand out a
target: a URL on a storage host and the form fields that authorize the upload there. The fields go
first, the file last, in one multipart POST. The storage host is not the API: pass a client whose
credentials stop at the API's hosts (an auth with `hosts=`, or `ctx.outbound()`). The upload is
charged no cost and never resent on its own (the platform's next step tells whether it arrived).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from fusionhub.errors import PlatformError
from fusionhub.http import meta

__all__ = ["upload_lines"]


async def upload_lines(
    client: httpx.AsyncClient,
    url: str,
    objects: Iterable[Any],
    *,
    fields: Mapping[str, str],
    filename: str,
    operation: str,
    platform: str | None = None,
    content_type: str = "text/jsonl",
) -> None:
    """POST `objects`, one JSON line each, as file `filename` after the target's form `fields`; any 2xx is taken."""
    body = "".join(json.dumps(obj, separators=(",", ":")) + "\n" for obj in objects).encode()
    response = await client.post(
        url,
        data=dict(fields),
        files={"file": (filename, io.BytesIO(body), content_type)},
        extensions=meta(cost=0, operation=operation, retry=False),
    )
    if not response.is_success:
        raise PlatformError(f"the upload ({operation}) answered {response.status_code}", platform=platform)
