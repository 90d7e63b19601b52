"""`fusionhub plugins list` answered from the verdict cache (fusionhub.verdict_cache) says what the
full check says, and anything that could change a verdict sends it back to the full check.

Each test has its own cache directory; plugins dropped onto PYTHONPATH (module + dist-info, as in
test_discovery.py) stand for installs, uninstalls and edits.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fusionhub import verdict_cache
from fusionhub.cli import plugins as plugins_cli
from fusionhub.registry import ENV_DISABLE, ENV_LOAD, ENV_STRICT


@pytest.fixture
def run(tmp_path: Path, fusionhub_cli: Any) -> Any:
    """`run(*args, env=...)` → CompletedProcess of `fusionhub <args>` with this test's cache directory."""
    cache = tmp_path / "cache"

    def go(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result: subprocess.CompletedProcess[str] = fusionhub_cli(
            *args, env={"FUSIONHUB_CACHE_DIR": str(cache), **(env or {})}
        )
        assert result.returncode == 0, result.stderr
        return result

    go.cache = cache  # type: ignore[attr-defined]
    return go


def listed(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {f"{e['slug']}/{e['distribution']}": e for e in json.loads(result.stdout)}


def checked_in_full(run: Any, *args: str, env: dict[str, str] | None = None) -> bool:
    """`plugins list --json <args>` run as the others are: True when the full check ran (the
    registry was imported, says -X importtime), False when the cache answered."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONHUB_")}
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-X", "importtime", "-m", "fusionhub.cli", "plugins", "list", "--json", *args],
        capture_output=True,
        text=True,
        env={**base, "FUSIONHUB_CACHE_DIR": str(run.cache), **(env or {})},
        check=True,
    )
    assert "| fusionhub.cli" in done.stderr  # the control: importtime saw the command's imports
    return "| fusionhub.registry\n" in done.stderr


def compiled(where: Path) -> None:
    """The bytecode an install writes (pip compiles what it installs): else the first listing's
    import writes `__pycache__` into `where`, a directory on `sys.path`, and that change alone sends
    the next listing to the full check (unless PYTHONDONTWRITEBYTECODE is set)."""
    assert compileall.compile_dir(str(where), quiet=1)


def drop_plugin(where: Path, module: str, source: str, *, slug: str = "dropped") -> None:
    """A plugin installed by hand: `module.py` and its dist-info in `where` (put it on PYTHONPATH)."""
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{module}.py").write_text(source)
    info = where / f"{module}-0.1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[fusionhub.plugins]\n{slug} = {module}\n")
    (info / "RECORD").write_text("")
    compiled(where)


def test_a_hit_lists_what_the_full_check_lists(run: Any) -> None:
    full = run("plugins", "list", "--json", "--fresh")
    assert checked_in_full(run) is False  # the control: the cache answered, the registry was not imported
    hit = run("plugins", "list", "--json")
    assert hit.stdout == full.stdout
    off = run("plugins", "list", "--json", env={"FUSIONHUB_CACHE_DIR": os.devnull})  # no cache at all
    assert off.stdout == full.stdout
    # The table alike, from the cache and from the full check.
    assert run("plugins", "list").stdout == run("plugins", "list", "--fresh").stdout
    statuses = {key: e["status"] for key, e in listed(hit).items()}
    assert statuses["broken-import/fusionhub-fixture-broken-import"] == "failed"
    assert statuses["bad-signature/fusionhub-fixture-bad-signature"] == "failed"
    assert statuses["level-mismatch/fusionhub-fixture-level-mismatch"] == "failed"
    assert statuses["bad-manifest/fusionhub-fixture-bad-manifest"] == "failed"
    assert statuses["twin/fusionhub-fixture-twin-b"] == "failed"


def test_fresh_and_doctor_always_check_in_full(run: Any) -> None:
    run("plugins", "list", "--json")
    assert checked_in_full(run, "--fresh") is True
    assert checked_in_full(run) is False


def test_changing_a_plugin_file_invalidates(tmp_path: Path, run: Any) -> None:
    site = tmp_path / "site"
    drop_plugin(site, "dropped_plugin", "WORKS = True\n")  # no hooks: an observer that loads
    env = {"PYTHONPATH": str(site)}
    assert listed(run("plugins", "list", "--json", env=env))["dropped/dropped-plugin"]["status"] == "loaded"
    assert checked_in_full(run, env=env) is False
    plugin = site / "dropped_plugin.py"
    before = plugin.stat()
    plugin.write_text('raise ImportError("edited: now broken")\n')
    os.utime(plugin, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))  # however coarse the clock
    entry = listed(run("plugins", "list", "--json", env=env))["dropped/dropped-plugin"]
    assert entry["status"] == "failed" and entry["error"] == "import error: ImportError: edited: now broken"


def test_uninstalling_a_dependency_invalidates(tmp_path: Path, run: Any) -> None:
    site, deps = tmp_path / "site", tmp_path / "deps"
    drop_plugin(site, "needs_dep", "import dropped_dep  # noqa: F401\n", slug="needs-dep")
    (deps / "dropped_dep").mkdir(parents=True)
    (deps / "dropped_dep" / "__init__.py").write_text("")
    (deps / "dropped_dep-1.0.dist-info").mkdir()
    compiled(deps)
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(deps)])}
    assert listed(run("plugins", "list", "--json", env=env))["needs-dep/needs-dep"]["status"] == "loaded"
    assert checked_in_full(run, env=env) is False
    # `pip uninstall dropped-dep`: its package and its dist-info go; no file of the plugin changes.
    shutil.rmtree(deps / "dropped_dep")  # with its bytecode, as pip removes it
    (deps / "dropped_dep-1.0.dist-info").rmdir()
    entry = listed(run("plugins", "list", "--json", env=env))["needs-dep/needs-dep"]
    assert entry["status"] == "failed" and "No module named 'dropped_dep'" in entry["error"]
    # Installing it again mends the plugin: the listing sees that too.
    (deps / "dropped_dep").mkdir()
    (deps / "dropped_dep" / "__init__.py").write_text("")
    assert listed(run("plugins", "list", "--json", env=env))["needs-dep/needs-dep"]["status"] == "loaded"


def test_installing_a_plugin_and_the_path_invalidate(tmp_path: Path, run: Any) -> None:
    site = tmp_path / "site"
    site.mkdir()
    env = {"PYTHONPATH": str(site)}
    assert "dropped/dropped-plugin" not in listed(run("plugins", "list", "--json", env=env))
    drop_plugin(site, "dropped_plugin", "WORKS = True\n")  # installed into a directory already on the path
    assert listed(run("plugins", "list", "--json", env=env))["dropped/dropped-plugin"]["status"] == "loaded"
    assert "dropped/dropped-plugin" not in listed(run("plugins", "list", "--json"))  # another sys.path


def test_allow_deny_and_strict_are_honoured_after_a_hit(run: Any, fusionhub_cli: Any) -> None:
    run("plugins", "list", "--json")
    entries = listed(run("plugins", "list", "--json", env={ENV_LOAD: "example"}))
    assert entries["example/fusionhub-example"]["status"] == "loaded"
    assert entries["broken-import/fusionhub-fixture-broken-import"]["status"] == "blocked"
    entries = listed(run("plugins", "list", "--json", env={ENV_DISABLE: "example"}))
    assert entries["example/fusionhub-example"]["status"] == "blocked"
    cache = {"FUSIONHUB_CACHE_DIR": str(run.cache)}
    assert fusionhub_cli("plugins", "--strict", "list", "--json", env=cache).returncode == 1
    assert fusionhub_cli("plugins", "list", "--json", env={**cache, ENV_STRICT: "1"}).returncode == 1


@pytest.mark.parametrize(
    "damage",
    [
        "not json {",
        json.dumps({"format": verdict_cache.FORMAT, "entries": "nope"}),
        json.dumps({"format": verdict_cache.FORMAT, "entries": [{"env": None, "files": 3}]}),
    ],
)
def test_a_corrupt_cache_is_ignored_and_replaced(run: Any, damage: str) -> None:
    full = run("plugins", "list", "--json", "--fresh").stdout
    (target,) = run.cache.iterdir()
    target.write_text(damage)
    assert run("plugins", "list", "--json").stdout == full
    assert json.loads(target.read_text())["format"] == verdict_cache.FORMAT  # rewritten by the full check


@pytest.mark.parametrize(
    ("field", "damage"),
    [
        ("files", [["/nowhere", "x"]]),  # wrong shape: not a (path, mtime, size)
        ("dirs", "x"),
        ("listing", [{"slug": "forged"}]),  # not what the table reads
        ("listing", {"not": "a list"}),
    ],
)
def test_a_damaged_entry_under_the_right_key_is_ignored(run: Any, field: str, damage: Any) -> None:
    full = run("plugins", "list", "--json").stdout
    table = run("plugins", "list").stdout
    (target,) = run.cache.iterdir()
    data = json.loads(target.read_text())
    data["entries"][0][field] = damage
    target.write_text(json.dumps(data))
    assert run("plugins", "list").stdout == table
    assert run("plugins", "list", "--json").stdout == full


def test_an_unwritable_cache_directory_falls_back_to_the_full_check(tmp_path: Path, fusionhub_cli: Any) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = fusionhub_cli("plugins", "list", "--json", env={"FUSIONHUB_CACHE_DIR": str(blocker / "cache")})
    assert result.returncode == 0, result.stderr
    assert any(e["slug"] == "example" for e in json.loads(result.stdout))


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FUSIONHUB_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert verdict_cache.cache_file().parent == tmp_path / "xdg" / "fusionhub"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert verdict_cache.cache_file().parent == tmp_path / "home" / ".cache" / "fusionhub"
    monkeypatch.setenv("FUSIONHUB_CACHE_DIR", str(tmp_path / "mine"))
    assert verdict_cache.cache_file().parent == tmp_path / "mine"
    assert verdict_cache.cache_file().name.startswith("plugins-")


def test_the_key_names_the_registrys_settings() -> None:
    # Duplicated to keep a hit free of the registry's imports: they must name the same variables.
    assert verdict_cache.KEYED_ENV == (ENV_LOAD, ENV_DISABLE)
    assert plugins_cli.ENV_STRICT == ENV_STRICT
