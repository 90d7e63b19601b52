"""Every secret this process has loaded, so that any string can be scrubbed of them."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

REDACTED = "[redacted]"
# Values this short would scrub ordinary words; credentials are never this short.
_MIN_SECRET_LEN = 6

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register_secret(*values: str | None) -> None:
    global _pattern
    added = {v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LEN}
    if not added - _secrets:
        return
    with _lock:
        _secrets.update(added)
        # Longest first so a secret containing another is removed whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def register_secrets(values: Iterable[str | None]) -> None:
    register_secret(*values)


def scrub(text: str) -> str:
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(REDACTED, text)


def known_secret_count() -> int:
    return len(_secrets)
