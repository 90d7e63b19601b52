"""Sessions: tests (everything), each plugin alone, a generated plugin (new_plugin), lint, typecheck, bench.

`nox` runs the default sessions; `nox -s bench` runs the benchmarks (not part of CI).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests", "plugin_alone", "new_plugin"]
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
]
# Extras whose tests need a real local server: Amazon's SQS reader against moto's server mode.
EXTRA_TEST_DEPS = ["./plugins-amazon[sqs]", "moto[server]>=5"]
TYPE_DEPS = ["mypy>=1.10", "types-jsonschema", *TEST_DEPS]
PYTHON = "3.11"
# `fusionhub plugins list --json` in an environment holding core and one plugin: exactly that
# plugin, loaded, every capability with a level.
ALONE_CHECK = """
import json, subprocess, sys
listing = json.loads(subprocess.run(["fusionhub", "plugins", "list", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
assert [p["distribution"] for p in listing] == [sys.argv[1]], listing
(plugin,) = listing
assert plugin["status"] == "loaded", plugin["error"]
assert len(plugin["capabilities"]) == 15, plugin["capabilities"]
levels = {c: v["level"] for c, v in plugin["capabilities"].items()}
print(plugin["slug"], "loaded alone:", json.dumps(levels))
"""


def _install_all(session: nox.Session) -> None:
    session.install("./core[postgres]", *[f"./{p}" for p in PLUGINS])


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
    session.install(*TEST_DEPS, *EXTRA_TEST_DEPS)
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


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (not tests): figures go to bench/README.md by hand after review."""
    _install_all(session)
    session.install(*TEST_DEPS)
    session.run("python", "-m", "bench", *session.posargs)
