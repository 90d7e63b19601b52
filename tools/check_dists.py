"""Checks for `nox -s dist`: what the built distributions hold, and what an install of them does.

    python tools/check_dists.py contents DIST_DIR      # every wheel and sdist against its source tree
    python tools/check_dists.py installed              # in the fresh venv: plugins list + demo

Each failure names the file and what is wrong; the script exits 1 after listing them all.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST_DIRS = [ROOT / "core", *sorted(p for p in ROOT.glob("plugins-*") if (p / "pyproject.toml").exists())]
# Never in a wheel: tests, development-only trees, unreleased changelog fragments, bytecode.
FORBIDDEN_IN_WHEEL = re.compile(r"(^|/)(tests?|conftest\.py|bench|changelog\.d|__pycache__)(/|$)|\.pyc$")
# Data a package ships on purpose though its paths look like tests: `fusionhub new-plugin`'s templates.
SHIPPED_DATA = re.compile(r"^fusionhub/templates/")
# What an sdist carries beside the package: pyproject.toml, the readme, the changelog (released
# sections; the fragments in changelog.d/ stay in the repository).
SDIST_REQUIRED = ("pyproject.toml", "README.md", "CHANGELOG.md", "PKG-INFO")
CAPABILITY_COUNT = 15


def _project(path: Path) -> tuple[str, str, str]:
    """(distribution name, import package, version) from a distribution directory's sources."""
    data = tomllib.loads((path / "pyproject.toml").read_text())
    (package_dir,) = data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    version_file = path / data["tool"]["hatch"]["version"]["path"]
    found = re.search(r'^__version__ = "([^"]+)"$', version_file.read_text(), re.M)
    if not found:
        raise SystemExit(f"{version_file}: no literal __version__ line")
    return data["project"]["name"], Path(package_dir).name, found.group(1)


def _package_data(path: Path, package: str) -> set[str]:
    """Every file of the source package a wheel must carry (code and data), as wheel paths."""
    src = path / "src"
    return {
        f.relative_to(src).as_posix()
        for f in (src / package).rglob("*")
        if f.is_file() and _belongs_in_wheel(f.relative_to(src).as_posix())
    }


def _belongs_in_wheel(name: str) -> bool:
    return not FORBIDDEN_IN_WHEEL.search(name) or bool(SHIPPED_DATA.match(name))


def _check_wheel(wheel: Path, path: Path, package: str, version: str) -> list[str]:
    problems = []
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        meta_text = zf.read(metadata).decode() if metadata else ""
    if f"\nVersion: {version}\n" not in meta_text:
        problems.append(f"{wheel.name}: METADATA does not say Version: {version}")
    if f"{package}/py.typed" not in names:
        problems.append(f"{wheel.name}: no {package}/py.typed (typed package marker)")
    for missing in sorted(_package_data(path, package) - names):
        problems.append(f"{wheel.name}: lacks {missing} (in the source package)")
    for name in sorted(names):
        if not _belongs_in_wheel(name):
            problems.append(f"{wheel.name}: holds {name} (tests or development-only)")
        elif not (name.startswith(f"{package}/") or ".dist-info/" in name):
            problems.append(f"{wheel.name}: holds {name}, outside {package}/")
    return problems


def _check_sdist(sdist: Path, path: Path) -> list[str]:
    with tarfile.open(sdist) as tf:
        top, *_ = tf.getnames()
        root = top.split("/")[0]
        names = {n.removeprefix(f"{root}/") for n in tf.getnames()}
    problems = [f"{sdist.name}: lacks {req}" for req in SDIST_REQUIRED if req not in names]
    problems += [f"{sdist.name}: holds {n} (development-only)" for n in sorted(names) if n.startswith("bench/")]
    return problems


def check_contents(dist: Path) -> list[str]:
    problems = []
    for path in DIST_DIRS:
        name, package, version = _project(path)
        stem = f"{name.replace('-', '_')}-{version}"
        wheel, sdist = dist / f"{stem}-py3-none-any.whl", dist / f"{stem}.tar.gz"
        for built in (wheel, sdist):
            if not built.exists():
                problems.append(f"{built.name}: not built (from {path.name})")
        if wheel.exists():
            problems += _check_wheel(wheel, path, package, version)
        if sdist.exists():
            problems += _check_sdist(sdist, path)
        print(f"{name} {version}: checked", file=sys.stderr)
    return problems


def _run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def check_installed() -> list[str]:
    """In an environment holding only the built wheels: every plugin loads, the demo runs."""
    problems = []
    platforms = {_project(p)[0] for p in DIST_DIRS if list((p / "src").glob("*/manifest.toml"))}
    observers = {_project(p)[0] for p in DIST_DIRS[1:]} - platforms
    listing = json.loads(_run("fusionhub", "plugins", "list", "--json"))
    by_dist = {p["distribution"]: p for p in listing}
    for name in sorted(platforms | observers):
        plugin = by_dist.get(name)
        if plugin is None:
            problems.append(f"{name}: not listed by `fusionhub plugins list` (installed: {sorted(by_dist)})")
        elif plugin["status"] != "loaded":
            problems.append(f"{name}: {plugin['status']}: {plugin['error']}")
        elif plugin["kind"] != ("platform" if name in platforms else "observer"):
            problems.append(f"{name}: loaded as {plugin['kind']}")
        elif name in platforms and sum(1 for c in plugin["capabilities"].values() if c["level"]) != CAPABILITY_COUNT:
            problems.append(f"{name}: not every one of the {CAPABILITY_COUNT} capabilities has a level")
        else:
            print(f"{name}: loaded ({plugin['kind']})", file=sys.stderr)
    demo = _run("fusionhub", "demo", "--json")
    print(f"fusionhub demo: ran ({len(demo)} characters of JSON)", file=sys.stderr)
    return problems


def main(argv: list[str]) -> int:
    match argv:
        case ["contents", dist]:
            problems = check_contents(Path(dist))
        case ["installed"]:
            problems = check_installed()
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
