"""The API-call line built from a per-key-set template is the line json.dumps gives for the redacted
event (what configure_logging's JSON renderer writes), and follows every change to redaction."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

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
        "cost%s": 1.0,  # a key a %-template must not read as a placeholder
    }
    assert jsonline.render(dict(event)) == expected(event)
    assert jsonline.render(dict(event)) == expected(event)  # the cached plan and texts give the same


def test_a_secret_registered_after_a_text_was_cached_is_scrubbed_from_it() -> None:
    text = f"/p/{CANARY}"
    assert jsonline.render({"path": text}) == json.dumps({"path": text})
    register_secret(CANARY)
    line = jsonline.render({"path": text})
    assert line == expected({"path": text}) and CANARY not in line and REDACTED in line


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
        {"when": math.nan},
        {"inf": math.inf},
        {7: "a key that is not a string"},
        {"kind": type("S", (str,), {})("a str subclass")},
    ],
)
def test_an_event_that_is_not_flat_is_left_to_the_processors(event: dict[Any, Any]) -> None:
    assert jsonline.render(event) is None
