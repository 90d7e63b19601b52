"""The authorization-code flow: consent URL, PKCE, callback checks, query HMAC, code exchange."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fusionhub.plugin import (
    AuthError,
    AuthorizationRequest,
    HmacSha256,
    QueryHmac,
    TokenSet,
    VirtualClock,
    check_callback,
    code_challenge,
    exchange_code,
    new_verifier,
    start_authorization,
)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-authoring.md"
TOKEN_URL = "https://auth.acme.test/token"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_pkce_challenge_matches_rfc_7636_appendix_b() -> None:
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_verifiers_are_fresh_and_of_the_allowed_alphabet_and_length() -> None:
    verifiers = {new_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", v) for v in verifiers)


def test_a_started_authorization_carries_state_scopes_and_challenge_and_hides_its_secrets() -> None:
    request = start_authorization(
        "https://acme.test/oauth/authorize",
        client_id="cid",
        redirect_uri="https://hub.test/cb",
        scopes=["read", "write", "read"],
        pkce=True,
        extra={"prompt": "consent"},
    )
    query = query_of(request.url)
    assert request.url.startswith("https://acme.test/oauth/authorize?")
    assert query == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://hub.test/cb",
        "scope": "read write",
        "state": request.state,
        "code_challenge": code_challenge(request.code_verifier or ""),
        "code_challenge_method": "S256",
        "prompt": "consent",
    }
    assert len(request.state) >= 32 and request.scopes == ("read", "write")
    assert request.state not in repr(request) and str(request.code_verifier) not in repr(request)
    again = start_authorization("https://a.test", client_id="c", redirect_uri="https://r", scopes=[], pkce=True)
    assert (again.state, again.code_verifier) != (request.state, request.code_verifier)
    assert request.code_form("abc") == {
        "grant_type": "authorization_code",
        "client_id": "cid",
        "redirect_uri": "https://hub.test/cb",
        "code": "abc",
        "code_verifier": request.code_verifier,
    }


def test_without_pkce_nor_response_type_the_url_carries_neither() -> None:
    request = start_authorization(
        "https://a.test/auth",
        client_id="c",
        redirect_uri="https://r",
        scopes=["b", "a"],
        scope_separator=",",
        state="given",
        response_type=None,
    )
    assert query_of(request.url) == {"client_id": "c", "redirect_uri": "https://r", "scope": "b,a", "state": "given"}
    assert request.code_verifier is None and "code_verifier" not in request.code_form("x")


@pytest.mark.parametrize(
    ("query", "expected", "refusal"),
    [
        ({"code": "c", "state": "st-1"}, "st-2", "state"),
        ({"code": "c"}, "st-1", "state"),
        ({"code": "c", "state": ""}, "", "state"),  # no session state: nothing can match
        ({"state": "st-1"}, "st-1", "no code"),
        ({"error": "access_denied", "error_description": "The user said no", "state": "st-1"}, "st-1", "said no"),
    ],
    ids=["tampered-state", "missing-state", "empty-expected", "no-code", "denied"],
)
def test_a_callback_is_refused_naming_what_failed(query: dict[str, str], expected: str, refusal: str) -> None:
    with pytest.raises(AuthError, match=refusal) as refused:
        check_callback(query, expected, platform="acme")
    assert refused.value.platform == "acme"


def test_a_matching_callback_yields_its_code() -> None:
    assert check_callback({"code": "c-1", "state": "st-1"}, "st-1") == "c-1"


def test_query_hmac_accepts_its_own_signature_and_refuses_any_change() -> None:
    signer = QueryHmac(param="hmac", unsigned=("legacy",))
    signed = signer.sign("app-secret", {"code": "c", "shop": "a", "timestamp": "1"})
    expected = HmacSha256().digest("app-secret", b"code=c&shop=a&timestamp=1")
    assert signed["hmac"] == expected
    signer.verify("app-secret", {**signed, "legacy": "ignored"})
    for forged in (
        {**signed, "shop": "b"},
        {**signed, "hmac": "0" * 64},
        {k: v for k, v in signed.items() if k != "hmac"},
    ):
        with pytest.raises(AuthError, match="hmac does not match"):
            signer.verify("app-secret", forged)
    with pytest.raises(AuthError, match="hmac does not match"):
        signer.verify("other-secret", signed)
    with pytest.raises(AuthError, match="no client secret"):
        signer.verify("", signed)


def test_query_hmac_uses_the_platforms_canonical_form() -> None:
    def pipes(params: object) -> str:
        assert isinstance(params, dict)
        return "|".join(f"{k}:{params[k]}" for k in sorted(params))

    signer = QueryHmac(param="sig", canonical=pipes, scheme=HmacSha256(encoding="base64"))
    signed = signer.sign("s", {"a": "1", "b": "2"})
    assert signed["sig"] == HmacSha256(encoding="base64").digest("s", b"a:1|b:2")
    signer.verify("s", signed)


def exchange(handler: httpx.MockTransport, form: dict[str, str], clock: VirtualClock) -> TokenSet:
    async def main() -> TokenSet:
        async with httpx.AsyncClient(transport=handler) as http:
            return await exchange_code(http, TOKEN_URL, form, clock=clock, platform="acme")

    return clock.run(main())


def test_a_code_exchange_posts_the_form_and_reads_the_tokens() -> None:
    clock = VirtualClock()
    seen: list[httpx.Request] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600})

    request = AuthorizationRequest("u", "s", "v", "cid", "https://hub.test/cb", ())
    tokens = exchange(httpx.MockTransport(token_endpoint), request.code_form("code-1"), clock)
    assert (tokens.access_token, tokens.refresh_token, tokens.expires_at) == ("at-1", "rt-1", clock.now() + 3600)
    [sent] = seen
    assert (sent.method, str(sent.url)) == ("POST", TOKEN_URL)
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(sent.content.decode()) == {
        "grant_type": ["authorization_code"],
        "client_id": ["cid"],
        "redirect_uri": ["https://hub.test/cb"],
        "code": ["code-1"],
        "code_verifier": ["v"],
    }


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        (httpx.Response(400, json={"error": "invalid_grant", "error_description": "code used"}), r"code used \(400\)"),
        (httpx.Response(400, json={"error": "invalid_grant"}), "invalid_grant"),
        (httpx.Response(502, text="<html>bad gateway</html>"), "status 502"),
        (httpx.Response(200, json={"token_type": "bearer"}), "status 200"),  # no access token
    ],
    ids=["described", "error-only", "not-json", "no-token"],
)
def test_a_refused_code_exchange_is_an_auth_error_with_the_reason(answer: httpx.Response, refusal: str) -> None:
    with pytest.raises(AuthError, match=refusal) as refused:
        exchange(httpx.MockTransport(lambda _: answer), {"code": "c"}, VirtualClock())
    assert refused.value.platform == "acme"


def test_the_guides_authorization_example_runs() -> None:
    section = GUIDE.read_text().split("### Connecting a store: the authorization-code flow", 1)[1]
    section = re.split(r"\n#{2,3} ", section, maxsplit=1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], f"{GUIDE}:authorization-code flow", "exec"), {"__name__": "guide_example"})  # noqa: S102 (our own doc)


def test_a_refusal_that_echoes_a_secret_does_not_carry_it_into_the_error() -> None:
    from fusionhub.plugin import register_secret

    canary = "client-secret-canary-5b1e"
    register_secret(canary)
    answer = httpx.Response(401, json={"error": "invalid_client", "error_description": f"bad secret {canary}"})
    with pytest.raises(AuthError) as refused:
        exchange(httpx.MockTransport(lambda _: answer), {"code": "c"}, VirtualClock())
    assert canary not in str(refused.value) and "bad secret" in str(refused.value)
    with pytest.raises(AuthError) as denied:
        check_callback({"error": "access_denied", "error_description": f"echo {canary}"}, "state-1")
    assert canary not in str(denied.value)
