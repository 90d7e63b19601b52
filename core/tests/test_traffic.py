"""Recording a plugin's traffic and checking it against a spec (fusionhub.testing.traffic)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from textwrap import dedent

import pytest

from fusionhub.clock import VirtualClock
from fusionhub.http.transport import LimitedTransport
from fusionhub.testing.harness import sandbox_run
from fusionhub.testing.traffic import Exchange, TrafficCheck, record_traffic

pytest_plugins = ["pytester"]
# The inner runs' own configuration, as a plugin project's: pytest-asyncio warns when its loop scope is unset.
_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def test_every_exchange_is_recorded_with_its_answer_and_the_transport_restored() -> None:
    original = LimitedTransport.handle_async_request
    run = sandbox_run("example", clock=VirtualClock())
    with record_traffic() as seen:
        run.clock.run(run.execute("list_products", {"limit": 2}))
    assert LimitedTransport.handle_async_request is original
    assert len(seen) == run.request_count == 1
    [exchange] = seen
    assert exchange.method == "GET" and exchange.status == 200 and exchange.answer.startswith(b"{")
    run.clock.run(run.execute("list_products", {"limit": 2}))
    assert len(seen) == 1  # nothing recorded after the block


def _only_gets(spec: str, exchange: Exchange) -> Iterable[str]:
    return [] if exchange.method == "GET" else [f"{spec} documents no {exchange.method}"]


def test_a_check_names_each_departing_request_and_loads_its_spec_once() -> None:
    loads: list[int] = []

    def load() -> str:
        loads.append(1)
        return "the document"

    check = TrafficCheck("acme", "Acme's document", load=load, validate=_only_gets)
    good = Exchange("GET", "https://api.acme.example/p", {}, b"")
    bad = Exchange("DELETE", "https://api.acme.example/p/1", {}, b"")
    assert check.check([good]) == []
    assert check.check([good, bad]) == ["DELETE https://api.acme.example/p/1: the document documents no DELETE"]
    assert loads == [1] and check.validated == 3


def test_an_absent_spec_is_noted_not_silently_passed() -> None:
    check: TrafficCheck[str] = TrafficCheck("acme", "Acme's document", load=lambda: None, validate=_only_gets)
    assert check.check([Exchange("DELETE", "https://x.example/", {}, b"")]) == []
    assert check.missing and check.validated == 0

    class Reporter:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def write_line(self, line: str) -> None:
            self.lines.append(line)

    reporter = Reporter()
    check.summary(reporter)
    assert reporter.lines == ["acme: Acme's document not found; requests were NOT validated (set FUSIONHUB_SPECS_DIR)"]


def test_the_fixture_fails_the_test_whose_traffic_departs(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        dedent(
            """
            from fusionhub.testing.traffic import TrafficCheck

            def validate(spec, exchange):
                return [] if exchange.method == "GET" else ["not in " + spec]

            CHECK = TrafficCheck("example", "the example spec", load=lambda: "the example spec", validate=validate)
            example_conformance = CHECK.fixture()
            pytest_terminal_summary = CHECK.summary
            """
        )
    )
    pytester.makepyfile(
        dedent(
            """
            from fusionhub.clock import VirtualClock
            from fusionhub.testing.harness import sandbox_run

            def test_reads():
                run = sandbox_run("example", clock=VirtualClock())
                run.clock.run(run.execute("list_products", {"limit": 2}))

            def test_writes():
                run = sandbox_run("example", clock=VirtualClock())
                run.clock.run(run.execute("create_product", {"product": {"title": "Mug"}}))
            """
        )
    )
    pytester.makeini(_INI)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)  # the call passes; its teardown fails it
    result.stdout.fnmatch_lines(
        ["*traffic that departs from the example spec:*", "*POST http*not in the example spec*"]
    )
    result.stdout.fnmatch_lines(["example: 2 recorded exchanges validated against the example spec"])


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-authoring.md"


def _guide_conftest() -> str:
    text = GUIDE.read_text()
    section = text[text.index("**Checking what you send against the platform's own spec.**") :]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_guides_conftest_runs_as_written(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = pytester.mkdir("specs")
    (specs / "acme").mkdir()
    (specs / "acme" / "openapi.json").write_text(json.dumps({"paths": {"/v1/products": ["get"]}}))
    monkeypatch.setenv("FUSIONHUB_SPECS_DIR", str(specs))
    pytester.makepyfile(
        acme_spec_check=dedent(
            """
            import json
            from urllib.parse import urlsplit

            class Spec:
                def __init__(self, path):
                    self.paths = json.loads(path.read_text())["paths"]

            def validate(spec, exchange):
                methods = spec.paths.get(urlsplit(exchange.url).path, [])
                return [] if exchange.method.lower() in methods else ["not an operation of the document"]
            """
        )
    )
    pytester.makeconftest(_guide_conftest())
    pytester.makepyfile(
        test_acme=dedent(
            """
            from fusionhub.clock import VirtualClock
            from fusionhub.testing.harness import sandbox_run

            def test_reads():
                run = sandbox_run("example", clock=VirtualClock())
                run.clock.run(run.execute("list_products", {"limit": 2}))

            def test_writes():
                run = sandbox_run("example", clock=VirtualClock())
                run.clock.run(run.execute("create_product", {"product": {"title": "Mug"}}))
            """
        )
    )
    pytester.makeini(_INI)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*POST https://*/v1/products: not an operation of the document*"])
    result.stdout.fnmatch_lines(["acme: 2 recorded exchanges validated against Acme's OpenAPI document"])
