"""Every secret this process has loaded, so that any string can be scrubbed of them."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
# Values this short would scrub ordinary words; credentials are never this short.
_MIN_SECRET_LEN = 6

_lock = threading.Lock()
_secrets: set[str] = set()
# Longest first, so a secret containing another is removed whole. A tuple swapped in whole: a
# reader takes one snapshot. Scrubbing tests each secret with `in` (a C substring search) rather
# than one alternation regex: faster for one secret and for hundreds, and adding a secret (each
# store's credentials, as a worker connects it) costs no regex build, which grew with every store.
_ordered: tuple[str, ...] = ()
_shortest = 0  # no text shorter than every secret can hold one: scrub skips it
_generation = 0  # see generation()
# Printable ASCII but the quote and the backslash: a secret of these appears in a JSON line as it is.
_PLAIN = re.compile(r"[ !#-\[\]-~]*")
_plain = True  # every loaded secret is plain (see secrets_are_plain)


def secrets_are_plain() -> bool:
    """Whether every loaded secret is printable ASCII without `"` or `\\`: JSON writes such a secret
    as it is, so scrubbing a rendered JSON line finds it in any string value that held it."""
    return _plain


def register_secret(*values: str | None) -> None:
    global _ordered, _shortest, _generation, _plain
    added = {v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LEN}
    if not added - _secrets:
        return
    scrub_log_records()  # from the first secret on, no stdlib log record may carry one
    with _lock:
        added -= _secrets
        _secrets.update(added)
        ordered = tuple(sorted(_secrets, key=len, reverse=True))
        _shortest = len(ordered[-1])  # first: a reader never pairs the new set with an older, longer minimum
        _ordered = ordered
        _plain = _plain and all(_PLAIN.fullmatch(s) for s in added)
        _generation += 1


def register_secrets(values: Iterable[str | None]) -> None:
    register_secret(*values)


def scrub(text: str) -> str:
    if len(text) < _shortest or not _ordered:
        return text
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


_factory_installed = False


def scrub_log_records() -> None:
    """Scrub secrets from every stdlib log record as it is created (httpx logs full URLs).

    A record factory runs before any handler, filter or test capture sees the record, so a
    secret in a message or its arguments never reaches any of them. Installed once.
    """
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        _factory_installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _ordered and isinstance(record.msg, str):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed format: keep the raw parts, scrubbed
                message = f"{record.msg} {record.args!r}"
            cleaned = scrub(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)


def known_secret_count() -> int:
    return len(_secrets)


# --- by key: names whose values are credentials, wherever they appear ------------------------

SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "client_secret",
        "password",
        "passwd",
        "secret",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "code_verifier",
        "shared_secret",
        "webhook_secret",
        "token",
        "signature",
    }
)
# Any key containing one of these is treated as secret too (x-partner-token, app_secret …).
SECRET_KEY_FRAGMENTS = ("token", "secret", "password", "api_key", "apikey", "authorization", "credential")
# Names plugins declared on top of the defaults (lower-case): their own headers and fields.
_declared_keys: set[str] = set()


def generation() -> int:
    """A number that changes whenever redaction may answer differently (a secret or a secret name
    was registered): what caches of `scrub` or `is_secret_key` answers compare."""
    return _generation


def register_secret_keys(*names: str) -> None:
    """Declare header, query-parameter or field names whose values are credentials.

    For names the defaults above do not catch (a platform's `X-Store-Pass` header, say); from
    then on their values are redacted wherever they appear: logs, records, reprs. Names are
    process-wide, like the log lines they protect. `HttpConfig(secret_names=...)` calls this.
    """
    global _generation
    added = {n.lower() for n in names if n} - _declared_keys
    if not added:
        return
    with _lock:
        _declared_keys.update(added)
        _verdicts.clear()
        _generation += 1


# Each key's verdict, looked up once: log events repeat the same few keys. Bounded, since data
# logged under arbitrary keys would otherwise grow it without end.
_verdicts: dict[object, bool] = {}
_MAX_VERDICTS = 4096


def is_secret_key(key: object) -> bool:
    verdict = _verdicts.get(key)
    if verdict is None:
        k = (key if isinstance(key, str) else str(key)).lower()
        verdict = k in SECRET_KEYS or k in _declared_keys or any(fragment in k for fragment in SECRET_KEY_FRAGMENTS)
        if len(_verdicts) >= _MAX_VERDICTS:
            _verdicts.clear()
        _verdicts[key] = verdict
    return verdict


# Values that cannot hold a secret: passed through without a look.
_ATOMS = (int, float, bool, type(None))


def redact(value: object) -> object:
    """A copy of `value` with secret keys' values replaced and known secrets scrubbed from strings."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return redact_fields(value)
    if isinstance(value, list | tuple):
        items = [redact(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def redact_fields(fields: Mapping[Any, Any]) -> dict[Any, Any]:
    """`redact` of a mapping (a log event's fields): numbers, booleans and None are taken as they are."""
    out: dict[Any, Any] = {}
    verdicts = _verdicts
    for key, value in fields.items():
        if verdicts.get(key) or (key not in verdicts and is_secret_key(key)):
            out[key] = REDACTED
        elif type(value) in _ATOMS:
            out[key] = value
        elif type(value) is str:
            out[key] = scrub(value)
        else:
            out[key] = redact(value)
    return out


def safe_target(path: str, query: list[tuple[str, str]]) -> str:
    """A URL's path and query for logs: values of secret parameters replaced, known secrets scrubbed."""
    if not query:
        return scrub(path)
    parts = [f"{k}={REDACTED if is_secret_key(k) else v}" for k, v in query]
    return scrub(f"{path}?{'&'.join(parts)}")
