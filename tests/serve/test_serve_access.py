"""The admin and the API need the admin token (bearer, or a signed-in session with CSRF on every form);
receivers are public; serving beyond loopback needs a configured token."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from serve_fixtures import TOKEN, Served, csrf_of, sign_in

from fusionhub.serve import BindRefused, admin_token
from fusionhub.serve.auth import TOKEN_ENV, is_loopback


async def test_the_api_and_pages_refuse_anyone_without_the_token(served: Served) -> None:
    for path in ("/api/stores", "/api/capabilities", "/api/jobs", "/api/plugins"):
        response = await served.client.get(path)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        wrong = await served.client.get(path, headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        ok = await served.client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200, (path, ok.text)
    for path in ("/matrix", "/stores"):
        page = await served.client.get(path)
        assert page.status_code == 303 and page.headers["location"] == f"/login?next={path}"


async def test_a_browser_signs_in_once_and_every_form_needs_its_csrf_token(served: Served) -> None:
    refused = await sign_in(served.client, token="a-wrong-token-of-some-length")
    assert refused.status_code == 401 and "not the admin token" in refused.text
    no_csrf = await served.client.post("/login", data={"token": TOKEN, "next": "/matrix"})
    assert no_csrf.status_code == 403 and "/matrix" not in no_csrf.headers.get("location", "")
    done = await sign_in(served.client)
    assert done.status_code == 303 and done.headers["location"] == "/matrix"
    page = await served.client.get("/stores")
    assert page.status_code == 200 and "shopify" in page.text
    assert (await served.client.get("/api/stores")).status_code == 200  # the session serves the API too
    assert (await served.client.post("/logout", data={"csrf": "guessed"})).status_code == 403
    assert (await served.client.get("/stores")).status_code == 200  # still signed in
    out = await served.client.post("/logout", data={"csrf": csrf_of(page)})
    assert out.status_code == 303
    assert (await served.client.get("/stores")).status_code == 303


async def test_sign_in_goes_back_only_to_a_path_on_this_site(served: Served) -> None:
    for target in ("https://evil.example.test/", "//evil.example.test/x", "/\\evil.example.test"):
        done = await sign_in(served.client, next_path=target)
        assert done.status_code == 303 and done.headers["location"] == "/"


async def test_receivers_are_public_but_verified(served: Served) -> None:
    headers, body = served.shopify.signed("orders/create", {"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1"})
    assert (await served.client.post("/webhooks/shopify", headers=headers, content=body)).status_code == 200


def test_serving_beyond_loopback_needs_a_configured_token(tmp_path: Path) -> None:
    with pytest.raises(BindRefused, match=TOKEN_ENV):
        admin_token("0.0.0.0", tmp_path, environ={})  # noqa: S104 - the refusal under test
    with pytest.raises(BindRefused, match="too short"):
        admin_token("0.0.0.0", tmp_path, environ={TOKEN_ENV: "short"})  # noqa: S104
    configured = admin_token("0.0.0.0", tmp_path, environ={TOKEN_ENV: TOKEN})  # noqa: S104
    assert configured.source == "environment" and configured.matches(TOKEN)
    assert TOKEN not in repr(configured)
    assert [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "10.0.0.1", "example.test")] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_on_loopback_a_token_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = admin_token("127.0.0.1", tmp_path, environ={})
    assert first.source == "generated" and first.path is not None and len(first.value) >= 32
    assert stat.S_IMODE(os.stat(first.path).st_mode) == 0o600
    again = admin_token("127.0.0.1", tmp_path, environ={})
    assert again.source == "file" and again.value == first.value


async def test_a_sessions_api_changes_need_the_csrf_header(served: Served) -> None:
    """The session cookie is ambient: a POST to the API made with it alone is refused."""
    done = await sign_in(served.client)
    assert done.status_code == 303
    csrf = csrf_of(await served.client.get("/stores"))
    body = {"store": "gumroad", "capability": "list_products"}
    for headers in ({}, {"X-CSRF-Token": "forged-token"}):
        refused = await served.client.post("/api/jobs", json=body, headers=headers)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["message"], refused.text
        assert (await served.client.post("/api/stores/gumroad/check", headers=headers)).status_code == 403
    assert await served.runtime.queue.list() == []
    assert (await served.client.get("/api/jobs")).status_code == 200  # reading needs no token
    made = await served.client.post("/api/jobs", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    cancelled = await served.client.post(f"/api/jobs/{made.json()['id']}/cancel", headers={"X-CSRF-Token": csrf})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
