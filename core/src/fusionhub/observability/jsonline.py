"""A flat event's redacted JSON line, as `configure_logging`'s JSON chain renders it, in one C call.

The per-call events (one per API call) carry the same keys every time and only strings, numbers,
booleans and None. For such an event the chain's redaction comes down to: values under secret
keys replaced, and known secrets scrubbed from strings. Secret keys are looked up once per key
set. A loaded secret that is printable ASCII without `"` or `\\` (`secrets_are_plain`) appears in
the rendered line exactly as it appeared in the string that held it, so scrubbing the finished
line removes it there as scrubbing each string would have. Then the event is encoded by json's C
encoder, set up once as `JSONRenderer(sort_keys=True)` sets it up per call, and the line scrubbed.
Otherwise (a secret key in the event, a secret JSON would escape) the fields are redacted one by
one first, as the chain does. A nested value, or a key that is not a string, and `render` returns
None: the caller runs the processors. core/tests/test_observability_jsonline.py compares the lines.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

from fusionhub.observability import redaction

_FLAT = frozenset({str, int, float, bool, type(None)})


def _unserializable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not flat")  # never reached: only flat values get here


def _encoder() -> Any:
    """json.dumps(sort_keys=True) without building an encoder per call (the same C encoder json.dumps uses)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without json's C speedups
        return lambda event: json.dumps(event, sort_keys=True)
    encode = make(None, _unserializable, encode_basestring_ascii, None, ": ", ", ", True, False, True)
    return lambda event: "".join(encode(event, 0))


_encode = _encoder()
# A key set's verdict for the redaction generation it was made in: None when a key is not a
# string (json would stringify it, or refuse to sort), else whether any key is secret.
_key_sets: dict[tuple[Any, ...], tuple[int, bool | None]] = {}
_MAX_KEY_SETS = 256  # events with arbitrary keys must not grow it without end


def _verdict(keys: tuple[Any, ...], generation: int) -> bool | None:
    known = _key_sets.get(keys)
    if known is None or known[0] != generation:
        if len(_key_sets) >= _MAX_KEY_SETS:
            _key_sets.clear()
        strings = all(type(k) is str for k in keys)
        known = _key_sets[keys] = (generation, any(map(redaction.is_secret_key, keys)) if strings else None)
    return known[1]


def render(event: dict[str, Any]) -> str | None:
    """The redacted, scrubbed JSON line of a flat event, or None when the processors must render it."""
    if not _FLAT.issuperset(map(type, event.values())):
        return None
    secret_key = _verdict(tuple(event), redaction.generation())
    if secret_key is None:
        return None
    if secret_key or not redaction.secrets_are_plain():
        event = redaction.redact_fields(event)
    return redaction.scrub(_encode(event))
