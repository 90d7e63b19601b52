"""Sandboxes: the protocol a plugin's fake platform keeps, and the toolkit to build one.

The toolkit (documented in docs/plugin-authoring.md, "Sandbox toolkit"): `SandboxBase` (request
log, transport, replies, slow answers), `RouteTable` (method + path template -> handler, 404/405 in
the platform's format), `Faults` (fail the next requests: a status, a network error, a lost
response, a slow one), `SandboxBucket` (the platform's limits per key, 429 with its headers) with
`TokenWindow` and `SlidingWindow`, body readers, fixed documented sandbox credentials, and the
shop kept between processes (`persistent`, `KeptTransport` over a `StateKeeper`).
"""

from fusionhub.sandbox.base import SandboxBase
from fusionhub.sandbox.bucket import SandboxBucket, SlidingWindow, TokenWindow, Window, too_many_requests
from fusionhub.sandbox.consent import consent_answer, consent_page, redirect_to, refused_page
from fusionhub.sandbox.credentials import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
)
from fusionhub.sandbox.faults import Action, Faults, plain_error
from fusionhub.sandbox.forms import form_fields, multipart_fields
from fusionhub.sandbox.log import RequestLog
from fusionhub.sandbox.persistence import KeptTransport, MemoryKeeper, PersistsState, StateError, StateKeeper
from fusionhub.sandbox.protocol import Sandbox, SandboxFactory, SignedDelivery, SignsDeliveries
from fusionhub.sandbox.reply import Reply
from fusionhub.sandbox.routes import RouteTable, plain_missing

__all__ = [
    "SANDBOX_ACCESS_TOKEN",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_REFRESH_TOKEN",
    "Action",
    "Faults",
    "KeptTransport",
    "MemoryKeeper",
    "PersistsState",
    "Reply",
    "RequestLog",
    "RouteTable",
    "Sandbox",
    "SandboxBase",
    "SandboxBucket",
    "SandboxFactory",
    "SignedDelivery",
    "SignsDeliveries",
    "SlidingWindow",
    "StateError",
    "StateKeeper",
    "TokenWindow",
    "Window",
    "consent_answer",
    "consent_page",
    "form_fields",
    "multipart_fields",
    "plain_error",
    "plain_missing",
    "redirect_to",
    "refused_page",
    "too_many_requests",
]
