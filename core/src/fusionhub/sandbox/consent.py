"""A sandbox's consent page: what the platform shows before it sends the browser back with a code.

`consent_page` answers the authorize URL's GET with a small HTML page whose form posts back to the
same URL (its query kept) with `approve=yes` or `approve=no`; `consent_answer` reads that post, and
`redirect_to` is the 302 to the app's redirect URI. A test (or `fusionhub stores connect` against a
sandbox server) "clicks" Approve by POSTing `approve=yes` to the authorize URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from urllib.parse import urlencode

import httpx

from fusionhub.sandbox.forms import form_fields

APPROVE_FIELD = "approve"


def consent_page(platform: str, app: str, scopes: Iterable[str], *, account: str | None = None) -> httpx.Response:
    """The consent page: which app asks for which scopes (on which account), with Approve and Deny."""
    items = "".join(f"<li>{escape(s)}</li>" for s in scopes) or "<li>(no scope)</li>"
    where = f" on <strong>{escape(account)}</strong>" if account else ""
    body = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(platform)} sandbox: approve</title>"
        "</head><body><main>"
        f"<h1>{escape(platform)} sandbox</h1>"
        f"<p>The app <code>{escape(app)}</code> asks for access{where}:</p><ul>{items}</ul>"
        f'<form method="post"><button type="submit" name="{APPROVE_FIELD}" value="yes">Approve</button> '
        f'<button type="submit" name="{APPROVE_FIELD}" value="no">Deny</button></form>'
        "</main></body></html>"
    )
    return httpx.Response(200, headers={"Content-Type": "text/html; charset=utf-8"}, text=body)


def consent_answer(request: httpx.Request) -> bool | None:
    """True: approved; False: denied; None: the post carries no answer."""
    answer = form_fields(request).get(APPROVE_FIELD, [""])[0]
    return {"yes": True, "no": False}.get(answer)


def redirect_to(redirect_uri: str, params: Mapping[str, str]) -> httpx.Response:
    """The 302 back to the app: `redirect_uri` with `params` added to its query."""
    separator = "&" if "?" in redirect_uri else "?"
    return httpx.Response(302, headers={"Location": f"{redirect_uri}{separator}{urlencode(dict(params))}"})


def refused_page(why: str) -> httpx.Response:
    """What the platform shows instead of a consent page for a bad request (no redirect: it may be forged)."""
    return httpx.Response(400, headers={"Content-Type": "text/plain; charset=utf-8"}, text=f"Oauth error: {why}")
