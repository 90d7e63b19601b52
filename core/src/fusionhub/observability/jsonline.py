"""A flat event's redacted JSON line, as `configure_logging`'s JSON chain renders it, from a plan per key set.

The per-call events (one per API call) carry the same keys every time and only strings, numbers,
booleans and None. For such an event the chain's redaction comes down to: values under secret
keys replaced, and known secrets scrubbed from strings. Secret keys are looked up once per key
set. A loaded secret that is printable ASCII without `"` or `\\` (`secrets_are_plain`) appears in
the rendered line exactly as it appeared in the string that held it, so scrubbing the finished
line removes it there as scrubbing each string would have. Then the event is encoded by a plan made
once per key set (the keys sorted and encoded into a template, the values read in that order by one
`itemgetter`), and the line scrubbed. json's own C encoder writes the values, all in one call, as a
list whose items it separates with NUL: with `ensure_ascii` (json.dumps' default and the
renderer's) no encoded value can hold a raw NUL (it writes `\u0000`), so splitting there gives each
value exactly as json.dumps writes it (NaN and infinities included) for the template. Encoding the
event itself sorted the items and encoded every key again per event: a third of its cost for
these lines; a Python call per value cost a third more than the one C call and the split.
Otherwise (a secret key in the event, a secret JSON would escape) the fields are redacted one by
one first, as the chain does. A nested value, or a key that is not a string, and `render` returns
None: the caller runs the processors. core/tests/test_observability_jsonline.py compares the lines.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from fusionhub.observability import redaction

_FLAT = frozenset({str, int, float, bool, type(None)})


Plan = Callable[[dict[str, Any]], str]


_SEPARATOR = "\x00"  # never raw in what an ensure_ascii encoder writes: every control character is escaped


def _not_flat(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not a flat value")  # render hands only flat ones


def _values_encoder() -> Callable[[tuple[Any, ...]], str]:
    """A sequence of flat values as json.dumps writes it (`[v1<NUL>v2]`), in one C call when json has one."""
    slow = json.JSONEncoder(separators=(_SEPARATOR, ": "), check_circular=False, default=_not_flat).encode
    try:
        from _json import make_encoder  # what json.dumps itself runs

        # markers, default, encoder, indent, key and item separators, sort_keys, skipkeys, allow_nan:
        # json.dumps' defaults, but no circular check (flat values only) and the NUL separator.
        encode = make_encoder(None, _not_flat, encode_basestring_ascii, None, ": ", _SEPARATOR, False, False, True)
        probe = ("a\x00", 1, 0.5, True, None)
        if encode(probe, 0)[0] != slow(probe):  # a private signature: another Python may differ
            return slow
    except (ImportError, TypeError):  # pragma: no cover (CPython 3.11 builds _json with this signature)
        return slow
    return lambda values: encode(values, 0)[0]


_encode_values = _values_encoder()


def _plan(keys: tuple[str, ...]) -> Plan:
    """json.dumps(event, sort_keys=True) for events with these keys: a template of the sorted keys."""
    ordered = sorted(keys)
    if not ordered:
        return lambda _event: "{}"
    template = "{" + ", ".join(f"{encode_basestring_ascii(k).replace('%', '%%')}: %s" for k in ordered) + "}"
    encode = _encode_values
    if len(ordered) == 1:
        (key,) = ordered
        return lambda event: template % encode((event[key],))[1:-1]
    values = operator.itemgetter(*ordered)
    return lambda event: template % tuple(encode(values(event))[1:-1].split(_SEPARATOR))


# A key set's verdict for the redaction generation it was made in: None when a key is not a
# string (json would stringify it, or refuse to sort), else whether the fields must be redacted one
# by one before encoding (a secret key, or a loaded secret JSON would escape); its plan. Whether
# the secrets are plain changes only with the generation (`register_secret` sets both).
_key_sets: dict[tuple[Any, ...], tuple[int, bool | None, Plan | None]] = {}
_MAX_KEY_SETS = 256  # events with arbitrary keys must not grow it without end


def _verdict(keys: tuple[Any, ...], generation: int) -> tuple[int, bool | None, Plan | None]:
    if len(_key_sets) >= _MAX_KEY_SETS:
        _key_sets.clear()
    known: tuple[int, bool | None, Plan | None]
    if all(type(k) is str for k in keys):
        redact_first = any(map(redaction.is_secret_key, keys)) or not redaction.secrets_are_plain()
        known = (generation, redact_first, _plan(keys))
    else:
        known = (generation, None, None)
    _key_sets[keys] = known
    return known


def render(event: dict[str, Any]) -> str | None:
    """The redacted, scrubbed JSON line of a flat event, or None when the processors must render it."""
    if not _FLAT.issuperset(map(type, event.values())):
        return None
    keys = tuple(event)
    generation = redaction.generation()
    known = _key_sets.get(keys)
    if known is None or known[0] != generation:
        known = _verdict(keys, generation)
    _, redact_first, encode = known
    if encode is None:
        return None
    if redact_first:
        event = redaction.redact_fields(event)
    return redaction.scrub(encode(event))
