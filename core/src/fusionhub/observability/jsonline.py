"""A flat event's JSON line, as `configure_logging`'s JSON chain renders it, from a template per key set.

The per-call events (one per API call) carry the same keys every time and only strings, numbers,
booleans and None. For such an event the line is put together from the key set's parts, worked
out once: the keys sorted as `JSONRenderer(sort_keys=True)` sorts them, each key's secret
verdict (`is_secret_key`), the `"key": ` prefixes; strings are scrubbed and escaped by json's own
encoder, numbers written as json writes them. The result is the line json.dumps would give for the
redacted event (core/tests/test_observability_jsonline.py compares them). Any other value (a
mapping, a list, a datetime, NaN) and `render` returns None: the caller renders the event through
the processors as usual.
"""

from __future__ import annotations

import math
from json.encoder import encode_basestring_ascii
from typing import Any

from fusionhub.observability import redaction

_SECRET = encode_basestring_ascii(redaction.REDACTED)
# A key set's parts: the redaction generation they were worked out for, the keys in json's order
# with their secret verdicts, and the line with a `%s` for each value.
_Plan = tuple[int, tuple[tuple[str, bool], ...], str]
_plans: dict[tuple[Any, ...], _Plan] = {}
_MAX_PLANS = 256  # events with arbitrary keys must not grow it without end
# Short strings' JSON, scrubbed: events repeat the same names (plugin, store, capability, method,
# path) on every call. Emptied whenever redaction changes (its generation).
_texts: dict[str, str] = {}
_texts_generation = -1
_MAX_TEXTS = 4096
_MAX_TEXT_LEN = 128


def _plan(keys: tuple[Any, ...], generation: int) -> _Plan | None:
    if not all(type(k) is str for k in keys):
        return None  # json would stringify (or refuse to sort) other keys: the usual path decides
    ordered = sorted(keys)
    fields = tuple((k, redaction.is_secret_key(k)) for k in ordered)
    template = "{" + ", ".join(f"{encode_basestring_ascii(k).replace('%', '%%')}: %s" for k in ordered) + "}"
    if len(_plans) >= _MAX_PLANS:
        _plans.clear()
    plan = _plans[keys] = (generation, fields, template)
    return plan


def render(event: dict[str, Any]) -> str | None:
    """The redacted JSON line of a flat event, or None when a value needs the processors' rendering."""
    global _texts_generation
    keys = tuple(event)
    generation = redaction.generation()
    if _texts_generation != generation or len(_texts) >= _MAX_TEXTS:
        _texts.clear()
        _texts_generation = generation
    plan = _plans.get(keys)
    if plan is None or plan[0] != generation:
        plan = _plan(keys, generation)
        if plan is None:
            return None
    scrub, texts = redaction.scrub, _texts
    values = []
    for key, secret in plan[1]:
        value = event[key]
        kind = type(value)
        if secret:
            values.append(_SECRET)
        elif kind is str:
            text = texts.get(value)
            if text is None:
                text = encode_basestring_ascii(scrub(value))
                if len(value) <= _MAX_TEXT_LEN:
                    texts[value] = text
            values.append(text)
        elif kind is int:
            values.append(int.__repr__(value))
        elif kind is float and math.isfinite(value):
            values.append(float.__repr__(value))
        elif value is None:
            values.append("null")
        elif kind is bool:
            values.append("true" if value else "false")
        else:
            return None
    return plan[2] % tuple(values)
