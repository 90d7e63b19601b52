"""The `fusionhub` command in-process (click's runner) against the installed fixture plugins."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fusionhub import Capability, Registry, __version__
from fusionhub.cli import COMMANDS, cli
from fusionhub.registry import ENV_DISABLE, ENV_LOAD, ENV_STRICT, PluginStatus

GREY = "\x1b[38;5;244m"  # rich's grey50
GREEN = "\x1b[32m"
CLEAN_ENV = {ENV_LOAD: None, ENV_DISABLE: None, ENV_STRICT: None, "COLUMNS": "250"}


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})}, catch_exceptions=False)


@pytest.fixture(scope="module")
def broken() -> list[str]:
    """Names of the installed plugins that fail or are incompatible (fixtures, and whatever else is installed)."""
    records = Registry.discover(strict=False, allow=None, deny=()).records
    return sorted({r.name for r in records if r.status in {PluginStatus.FAILED, PluginStatus.INCOMPATIBLE}})


def test_help_and_version() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("plugins", "demo"):
        assert name in result.output
    assert invoke("--version").output.strip() == f"fusionhub {__version__} (plugin API 1.0)"


def test_a_command_module_is_registered_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hello_commands.py").write_text(
        textwrap.dedent("""
            import click

            @click.command()
            def hello() -> None:
                click.echo("hello from a separate module")
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(COMMANDS, "hello", "hello_commands:hello")
    assert invoke("hello").output == "hello from a separate module\n"
    monkeypatch.setitem(COMMANDS, "broken", "hello_commands:click")
    with pytest.raises(TypeError, match="not a click command"):
        invoke("broken")


def test_command_modules_are_imported_only_when_used() -> None:
    script = textwrap.dedent("""
        import sys
        from fusionhub.cli import cli
        cli(["plugins", "list", "--json"], standalone_mode=False)
        print(sorted(m for m in sys.modules if m.startswith("fusionhub.cli.")), file=sys.stderr)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)  # noqa: S603
    loaded = out.stderr.strip().splitlines()[-1]
    assert "fusionhub.cli.plugins" in loaded
    assert "fusionhub.cli.demo" not in loaded and "fusionhub.cli.tables" not in loaded


def test_list_table_names_every_plugin_with_its_status(broken: list[str]) -> None:
    result = invoke("plugins", "list")
    assert result.exit_code == 0
    for name in ("example", "call-recorder", "broken-import", "future-core", "requires-future-core"):
        assert name in result.output
    for status in ("loaded", "failed", "incompatible"):
        assert status in result.output
    assert f"{len(broken)} plugin(s) not loaded: run fusionhub plugins doctor" in result.output


def test_list_json_exits_zero_and_parses() -> None:
    result = invoke("plugins", "list", "--json")
    assert result.exit_code == 0
    slugs = {entry["slug"] for entry in json.loads(result.output)}
    assert {"example", "broken-import", "twin"} <= slugs


def test_doctor_explains_each_broken_plugin_with_a_fix(broken: list[str]) -> None:
    result = invoke("plugins", "doctor")
    assert result.exit_code == 0
    blocks = result.output.split("\n✗ ")[1:]
    assert sorted({block.split()[0] for block in blocks}) == broken
    for block in blocks:
        assert "\n    reason: " in block and "\n       fix: " in block
    assert "reason: import error: ModuleNotFoundError" in result.output
    assert "fix: uninstall one of the two distributions" in result.output


def test_doctor_check_fails_only_on_broken_plugins(broken: list[str]) -> None:
    assert invoke("plugins", "doctor", "--check").exit_code == 1
    # Switching the broken ones off (blocked) is a choice, not a failure.
    result = invoke("plugins", "doctor", "--check", env={ENV_DISABLE: ",".join(broken)})
    assert result.exit_code == 0, result.output
    assert "blocked" in result.output and "failed" not in result.output
    for name in broken:
        assert f"✗ {name} " in result.output


def test_matrix_greys_out_unsupported_capabilities_with_their_explanation() -> None:
    result = invoke("plugins", "matrix", env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert result.exit_code == 0
    lines = result.output.splitlines()
    row = next(line for line in lines if "sync_inventory" in line)
    assert f"{GREY}○ unsupported" in row
    assert f"{GREEN}● native" in next(line for line in lines if "get_product" in line)
    note = next(line for line in lines if "example · sync_inventory:" in line)
    assert note.startswith(GREY)
    assert "has no endpoint that sets many levels at once" in note
    assert "Manual workaround: Set each SKU" in result.output


def test_matrix_plain_text_and_json() -> None:
    text = invoke("plugins", "matrix").output
    assert "◐ workaround" in text and "(manual only)" in text  # delete_product needs a person
    levels = json.loads(invoke("plugins", "matrix", "--json").output)
    assert set(levels) == {c.value for c in Capability}
    assert levels["bulk_update"]["example"] == "workaround"
    assert levels["process_refund"]["example"] == "unsupported"
    assert "broken-import" not in levels["get_product"]


def test_show_a_loaded_plugin() -> None:
    entry = json.loads(invoke("plugins", "show", "example", "--json").output)
    assert entry["name"] == "Example Shop" and entry["status"] == "loaded"
    assert entry["capabilities"]["sync_inventory"]["level"] == "unsupported"
    table = invoke("plugins", "show", "example").output
    assert "5 req / 1s" in table and "Example Shop REST API v1" in table
    assert "workaround: The API has no bulk endpoint" in table


def test_show_a_broken_plugin_and_an_unknown_one() -> None:
    text = invoke("plugins", "show", "level-mismatch").output
    assert "failed" in text and "get_product is declared native but has no hookimpl" in text
    assert "declare the true level" in text
    unknown = CliRunner().invoke(cli, ["plugins", "show", "nope"], env=CLEAN_ENV)
    assert unknown.exit_code == 1 and "no plugin named 'nope'" in unknown.output


def test_demo_prints_what_is_installed() -> None:
    result = invoke("demo")
    assert result.exit_code == 0
    assert "What the installed plugins offer" in result.output and "example" in result.output


def test_everything_blocked_still_answers() -> None:
    for args in (("plugins", "matrix"), ("plugins", "doctor"), ("demo",)):
        result = invoke(*args, env={ENV_LOAD: ""})
        assert result.exit_code == 0
    assert "No platform plugin is loaded" in invoke("plugins", "matrix", env={ENV_LOAD: ""}).output
