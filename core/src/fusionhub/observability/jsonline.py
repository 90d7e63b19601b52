"""A flat event's redacted JSON line, as `configure_logging`'s JSON chain renders it, from a plan per key set.

The per-call events (one per API call) carry the same keys every time and only strings, numbers,
booleans and None. For such an event the chain's redaction comes down to: values under secret
keys replaced, and known secrets scrubbed from strings. Secret keys are looked up once per key
set. A loaded secret that is printable ASCII without `"` or `\\` (`secrets_are_plain`) appears in
the rendered line exactly as it appeared in the string that held it, so scrubbing the finished
line removes it there as scrubbing each string would have. Then the event is encoded by a plan made
once per key set (the keys sorted and encoded into a template, the values read in that order by one
`itemgetter`, each written as json.dumps writes its type), and the line scrubbed. json's C encoder
sorted the items and encoded every key again per event: a third of its cost for these lines.
Otherwise (a secret key in the event, a secret JSON would escape) the fields are redacted one by
one first, as the chain does. A nested value, or a key that is not a string, and `render` returns
None: the caller runs the processors. core/tests/test_observability_jsonline.py compares the lines.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from fusionhub.observability import redaction

_FLAT = frozenset({str, int, float, bool, type(None)})


Plan = Callable[[dict[str, Any]], str]


def _json_float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


# How json.dumps writes each flat type (allow_nan, ensure_ascii: its defaults, the renderer's too).
_WRITE: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    int: int.__repr__,
    float: _json_float,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _value: "null",
}


def _plan(keys: tuple[str, ...]) -> Plan:
    """json.dumps(event, sort_keys=True) for events with these keys: a template of the sorted keys."""
    ordered = sorted(keys)
    if not ordered:
        return lambda _event: "{}"
    template = "{" + ", ".join(f"{encode_basestring_ascii(k).replace('%', '%%')}: %s" for k in ordered) + "}"
    write = _WRITE
    if len(ordered) == 1:
        (key,) = ordered
        return lambda event: template % write[type(event[key])](event[key])
    values = operator.itemgetter(*ordered)
    return lambda event: template % tuple([write[type(v)](v) for v in values(event)])


# A key set's verdict for the redaction generation it was made in: None when a key is not a
# string (json would stringify it, or refuse to sort), else whether any key is secret; its plan.
_key_sets: dict[tuple[Any, ...], tuple[int, bool | None, Plan | None]] = {}
_MAX_KEY_SETS = 256  # events with arbitrary keys must not grow it without end


def _verdict(keys: tuple[Any, ...], generation: int) -> tuple[int, bool | None, Plan | None]:
    known = _key_sets.get(keys)
    if known is None or known[0] != generation:
        if len(_key_sets) >= _MAX_KEY_SETS:
            _key_sets.clear()
        if all(type(k) is str for k in keys):
            known = (generation, any(map(redaction.is_secret_key, keys)), _plan(keys))
        else:
            known = (generation, None, None)
        _key_sets[keys] = known
    return known


def render(event: dict[str, Any]) -> str | None:
    """The redacted, scrubbed JSON line of a flat event, or None when the processors must render it."""
    if not _FLAT.issuperset(map(type, event.values())):
        return None
    _, secret_key, encode = _verdict(tuple(event), redaction.generation())
    if encode is None:
        return None
    if secret_key or not redaction.secrets_are_plain():
        event = redaction.redact_fields(event)
    return redaction.scrub(encode(event))
