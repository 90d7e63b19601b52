"""Sessions: tests (everything), each plugin alone, a generated plugin (new_plugin), lint, typecheck,
dist (built wheels), docs (the site), bench.

`nox` runs the default sessions; `nox -s bench` runs the benchmarks (not part of CI).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests", "plugin_alone", "new_plugin", "dist", "docs"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PLUGINS = sorted(p.name for p in ROOT.glob("plugins-*") if (p / "pyproject.toml").exists())
FIXTURE_PLUGINS = sorted(
    str(p) for p in (ROOT / "tests" / "fixtures" / "plugins").glob("*") if (p / "pyproject.toml").exists()
)
TEST_DEPS = [
    "pytest>=8",
    "pytest-asyncio>=0.24",
    "hypothesis>=6.100",
    "respx>=0.21",
    "openapi-schema-validator>=0.6",
    "import-linter>=2.1",  # the authoring guide's import contract is run by a test
    "playwright>=1.45",  # fusionhub serve's pages in Debian's chromium (tests/serve)
    "pyyaml>=6",  # tests/test_compose.py reads compose.yaml
    "towncrier>=24.8",  # tests/test_distributions.py drafts each changelog's next release
]
# Extras whose tests need a real local server: Amazon's SQS reader against moto's server mode.
EXTRA_TEST_DEPS = ["./plugins-amazon[sqs]", "moto[server]>=5"]
# Only the whole suite's: schemathesis fuzzes fusionhub serve's JSON API from its OpenAPI document (tests/serve).
SERVE_TEST_DEPS = ["schemathesis>=4.0"]
TYPE_DEPS = ["mypy>=1.10", "types-jsonschema", *TEST_DEPS]
PYTHON = "3.11"
# `fusionhub plugins list --json` in an environment holding core and one plugin: exactly that
# plugin, loaded; a platform (it has a manifest) gives every capability a level, an observer
# (metrics, tracing: no manifest) gives none.
ALONE_CHECK = """
import json, subprocess, sys
listing = json.loads(subprocess.run(["fusionhub", "plugins", "list", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
assert [p["distribution"] for p in listing] == [sys.argv[1]], listing
(plugin,) = listing
assert plugin["status"] == "loaded", plugin["error"]
levels = {c: v["level"] for c, v in plugin["capabilities"].items()}
if plugin["kind"] == "observer":
    assert plugin["core_api"] is None and set(levels.values()) == {None}, plugin
    print(plugin["slug"], "loaded alone: observer, no capabilities")
else:
    assert plugin["kind"] == "platform", plugin["kind"]
    assert len(levels) == 15 and None not in levels.values(), levels
    print(plugin["slug"], "loaded alone:", json.dumps(levels))
"""


def _install_all(session: nox.Session) -> None:
    session.install("./core[postgres,serve]", *[f"./{p}" for p in PLUGINS])


# Plugins whose imports lint-imports checks beside the repository's own (see pyproject.toml).
IMPORT_CHECKED_FIXTURES = ["tests/fixtures/plugins/example", "tests/fixtures/plugins/tracer"]


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6", "import-linter>=2.1")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # The walls (plugins use only fusionhub.plugin; core's layers) are checked on installed packages.
    _install_all(session)
    session.install("--no-deps", *IMPORT_CHECKED_FIXTURES)
    session.run("lint-imports")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    _install_all(session)
    session.install(*TYPE_DEPS)
    session.run("mypy", "core/src", *[f"{p}/src" for p in PLUGINS])


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Core, every plugin and the cross-package tests, with the fixture plugins installed."""
    _install_all(session)
    session.install(*TEST_DEPS, *EXTRA_TEST_DEPS, *SERVE_TEST_DEPS)
    # Without dependencies: some fixtures declare a core they cannot run with, on purpose.
    session.install("--no-deps", *FIXTURE_PLUGINS)
    paths = ["core/tests", *[f"{p}/tests" for p in PLUGINS if (ROOT / p / "tests").exists()], "tests"]
    session.run("pytest", *paths, *session.posargs)


@nox.session(python=PYTHON)
@nox.parametrize("plugin", PLUGINS)
def plugin_alone(session: nox.Session, plugin: str) -> None:
    """One plugin installed with core and nothing else: it must stand on its own."""
    session.install("./core", f"./{plugin}")
    session.install(*TEST_DEPS)
    session.run("python", "-c", ALONE_CHECK, f"fusionhub-{plugin.removeprefix('plugins-')}")
    if (ROOT / plugin / "tests").exists():
        session.run("pytest", f"{plugin}/tests", *session.posargs)


@nox.session(python=PYTHON)
def new_plugin(session: nox.Session) -> None:
    """`fusionhub new-plugin` as a third party runs it: generated in a temporary folder, installed
    beside core alone, its tests (the conformance kit) and `fusionhub plugins list --json` pass."""
    target = Path(session.create_tmp()) / "fusionhub-acme"
    session.install("./core")
    if target.exists():
        session.run("python", "-c", f"import shutil; shutil.rmtree({str(target)!r})")
    session.run("fusionhub", "new-plugin", "acme", "--dir", str(target))
    session.install("./core", f"{target}[test]")
    session.run("python", "-c", ALONE_CHECK, "fusionhub-acme")
    with session.chdir(target):
        session.run("pytest", "-p", "no:cacheprovider", *session.posargs)


# Peers the benchmarks measure ours against (bench/queue_peers.py); never a dependency of ours.
BENCH_DEPS = ["huey>=2.5"]


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (not tests): figures go to bench/README.md by hand after review."""
    _install_all(session)  # procrastinate comes with the postgres extra
    session.install(*TEST_DEPS, *BENCH_DEPS)
    session.run("python", "-m", "bench", *session.posargs)


# --- dist (issue 19): build, check and install every distribution --------------------------
DIST_DIR = ROOT / "dist"


@nox.session(python=PYTHON)
def dist(session: nox.Session) -> None:
    """Build every sdist and wheel into dist/, check them, install fusionhub[all,prometheus] from them afresh.

    The fresh environment holds only what the wheels pull (no editable checkout, no fixtures):
    there `fusionhub plugins list --json` must show every plugin loaded and `fusionhub demo` run.
    """
    session.install("build>=1.2", "twine>=7", "uv")  # checked with twine 7 (reads Metadata-Version 2.5)
    shutil.rmtree(DIST_DIR, ignore_errors=True)
    for directory in ["core", *PLUGINS]:
        # The wheel is built from the sdist, so what the sdist leaves out fails here.
        session.run("python", "-m", "build", "--installer", "uv", "--quiet", "--outdir", str(DIST_DIR), directory)
    built = sorted(str(p) for p in DIST_DIR.iterdir())
    session.run("twine", "check", "--strict", *built)
    session.run("python", "tools/check_dists.py", "contents", str(DIST_DIR))
    fresh = Path(session.create_tmp()) / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    session.run("uv", "venv", "--quiet", "--python", PYTHON, str(fresh))
    python = str(fresh / "bin" / "python")
    (core_wheel,) = DIST_DIR.glob("fusionhub-*.whl")  # by path: never a same-named project from the index
    wanted = f"{core_wheel}[all,prometheus]"  # every platform and the observer
    session.run("uv", "pip", "install", "--python", python, "--find-links", str(DIST_DIR), wanted)
    outer_path = session.env.get("PATH") or os.environ.get("PATH", "")
    env = {"PATH": f"{fresh / 'bin'}:{outer_path}", "VIRTUAL_ENV": str(fresh)}
    env.update({"HOME": str(fresh / "home"), "XDG_DATA_HOME": str(fresh / "data")})
    session.run(python, "tools/check_dists.py", "installed", env=env, external=True)


# --- end dist


# --- docs (issue 19): the documentation site, warnings as errors -------------------------------
DOCS_DEPS = ["mkdocs>=1.6,<2", "mkdocs-material>=9.5,<10", "mkdocstrings[python]>=0.26"]


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """mkdocs build --strict into site/: the guides, every README, the capability and API reference."""
    session.install("./core", *DOCS_DEPS)  # the capability reference reads core's capability table
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


# --- end docs
