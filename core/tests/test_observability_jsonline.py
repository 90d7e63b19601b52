"""The API-call line rendered in one C call is the line json.dumps gives for the redacted event (what
configure_logging's JSON renderer writes), and follows every change to redaction."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusionhub.observability import jsonline
from fusionhub.observability.redaction import REDACTED, redact_fields, register_secret, register_secret_keys

CANARY = "canary-jsonline-Vb7Qx2Lp"


def expected(event: dict[str, Any]) -> str:
    return json.dumps(redact_fields(event), sort_keys=True)


def test_a_flat_event_renders_as_json_dumps_of_the_redacted_event() -> None:
    event = {
        "plugin": "shop",
        "status": 200,
        "duration_ms": 0.125,
        "ok": True,
        "failed": False,
        "error": None,
        "path": 'a "quoted" path\\ with ünïcode\n',
        "api_key": 12345,  # a secret key's value goes whatever its type
        "big": 10**30,
        "cost%s": 1.0,
        "nan": math.nan,  # json.dumps writes NaN and Infinity: the line does too
        "inf": -math.inf,
    }
    assert jsonline.render(dict(event)) == expected(event)
    assert jsonline.render(dict(event)) == expected(event)  # the cached plan and texts give the same


@pytest.mark.parametrize(
    "event",
    [{}, {"only": "one key"}, {"only%s": math.inf}, {"b": False, "a": True, "c": -0.0, "d": 10**-7, "e": "%s %%"}],
)
def test_every_key_set_renders_as_json_dumps(event: dict[str, Any]) -> None:
    assert jsonline.render(dict(event)) == expected(event)


def test_values_holding_the_encoders_separator_render_as_json_dumps() -> None:
    # The values are encoded in one call, separated by NUL: a NUL (or any control character) in a
    # value, a key or beside a comma must come out escaped exactly as json.dumps escapes it.
    event = {"a\x00b": "x\x00y", "b": "\x00", "c": ", \x01\x1f\x7f", "d": "\x00\x00", "e": "", "f": "[1, 2]"}
    assert jsonline.render(dict(event)) == expected(event)


_FLAT_VALUES = st.one_of(
    st.text(), st.integers(), st.floats(), st.booleans(), st.none(), st.sampled_from([math.nan, math.inf, -0.0])
)


@given(st.dictionaries(st.text(max_size=8), _FLAT_VALUES, max_size=12))
def test_any_flat_event_renders_as_json_dumps(event: dict[str, Any]) -> None:
    assert jsonline.render(dict(event)) == expected(event)


def test_a_secret_registered_after_a_text_was_cached_is_scrubbed_from_it() -> None:
    text = f"/p/{CANARY}"
    assert jsonline.render({"path": text}) == json.dumps({"path": text})
    register_secret(CANARY)
    line = jsonline.render({"path": text})
    assert line == expected({"path": text}) and CANARY not in line and REDACTED in line


def test_a_secret_json_would_escape_is_scrubbed_from_each_string_before_rendering() -> None:
    odd = 'odd"secret\\Zq9'
    register_secret(odd)
    event = {"path": f"/x/{odd}/y", "note": "plain"}
    line = jsonline.render(dict(event))
    assert line == expected(event) and json.loads(line or "")["path"] == f"/x/{REDACTED}/y"


def test_a_secret_name_declared_after_a_plan_was_made_is_redacted() -> None:
    event = {"x-jsonline-pass": "hunter2-plain", "n": 1}
    assert jsonline.render(dict(event)) == json.dumps(event, sort_keys=True)
    register_secret_keys("X-Jsonline-Pass")
    assert json.loads(jsonline.render(dict(event)) or "")["x-jsonline-pass"] == REDACTED


@pytest.mark.parametrize(
    "event",
    [
        {"nested": {"a": 1}},
        {"items": [1, 2]},
        {7: "a key that is not a string"},
        {"kind": type("S", (str,), {})("a str subclass")},
    ],
)
def test_an_event_that_is_not_flat_is_left_to_the_processors(event: dict[Any, Any]) -> None:
    assert jsonline.render(event) is None
