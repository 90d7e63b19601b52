"""`scrub` over many secrets: each removed, a secret holding another removed whole, short text untouched."""

from __future__ import annotations

import secrets

from fusionhub.observability.redaction import REDACTED, register_secret, scrub


def test_every_one_of_many_secrets_is_scrubbed() -> None:
    values = [f"many-{n}-{secrets.token_urlsafe(24)}" for n in range(300)]
    register_secret(*values)
    line = " | ".join(f"store {n}: {value}" for n, value in enumerate(values))
    cleaned = scrub(line)
    assert not any(value in cleaned for value in values)
    assert cleaned.count(REDACTED) == len(values)
    assert cleaned.startswith(f"store 0: {REDACTED} | store 1: {REDACTED}")


def test_a_secret_holding_another_goes_whole() -> None:
    inner = f"inner-{secrets.token_hex(8)}"
    outer = f"outer-{inner}-{secrets.token_hex(8)}"
    register_secret(inner)
    register_secret(outer)  # registered later, still removed before the secret it holds
    assert scrub(f"a={outer} b={inner}") == f"a={REDACTED} b={REDACTED}"


def test_text_without_a_secret_is_returned_as_is() -> None:
    register_secret(f"plain-{secrets.token_hex(8)}")
    text = "nothing secret in this line at all"
    assert scrub(text) is text
