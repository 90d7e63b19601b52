"""The verdict cache: `fusionhub plugins list` without importing every plugin on every run.

A plugin's status in the listing (loaded, or broken by an import error, a hookimpl that does not
match its spec, a level its hookimpls contradict, an invalid manifest) is only known by importing
and inspecting its code: the full check costs most of the command's start-up. Its result depends
only on code and on the environment, so the listing is kept with a fingerprint of both and
reused while the fingerprint holds; any difference runs the full check again.

The fingerprint has two parts:

- the environment, computed on every run: this cache's format, fusionhub's version, the Python
  (version, executable, prefix), `sys.path`, the plugin allow- and deny-lists, the modification
  time of every directory on `sys.path` (a module, package, `.pth` file or distribution added or
  removed there changes it), and each distribution's metadata directory with the time and size
  of its `entry_points.txt`, `METADATA` and `RECORD`;
- the code, recorded by the full check and stat'ed again on a hit: time and size of every module
  file the check had imported (fusionhub's own, the plugins', their dependencies; editable
  installs included) with the time of the directory holding it (a file added beside it), and
  every file and directory under each plugin's top-level package (manifests read as data, a
  module that failed to import).

The cache lives in one file per environment (`sys.prefix`) under `FUSIONHUB_CACHE_DIR`, else
`$XDG_CACHE_HOME/fusionhub`, else `~/.cache/fusionhub`. A missing, corrupt or unwritable file only
means the full check runs. This module imports nothing of the framework: a hit must stay cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from fusionhub.version import __version__

FORMAT = 1  # bumped when the file's layout or what a fingerprint covers changes
ENV_CACHE_DIR = "FUSIONHUB_CACHE_DIR"
# The registry's allow- and deny-list (fusionhub.registry.ENV_LOAD / ENV_DISABLE; a test keeps them alike).
KEYED_ENV = ("FUSIONHUB_LOAD_PLUGINS", "FUSIONHUB_DISABLE_PLUGINS")
KEEP = 4  # fingerprints kept per environment: `python -m fusionhub.cli` and the script differ in sys.path[0]
_META_SUFFIXES = (".dist-info", ".egg-info")

Stat = tuple[int, int]  # (st_mtime_ns, st_size)


def cache_file() -> Path:
    """This environment's cache file (not created here)."""
    base = os.environ.get(ENV_CACHE_DIR)
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = os.path.join(xdg, "fusionhub") if xdg else os.path.join(os.path.expanduser("~"), ".cache", "fusionhub")
    env = hashlib.sha256(os.path.abspath(sys.prefix).encode()).hexdigest()[:16]
    return Path(base) / f"plugins-{env}.json"


def _stat(path: str) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def environment_key() -> str:
    """A digest of what can change a verdict without changing a file the full check read."""
    parts: list[Any] = [
        FORMAT,
        __version__,
        sys.version,
        sys.executable,
        sys.prefix,
        sys.path,
        [os.environ.get(name) for name in KEYED_ENV],
    ]
    for entry in sys.path:
        where = os.path.abspath(entry or os.curdir)
        parts.append((where, _stat(where)))
        try:
            with os.scandir(where) as found:
                names = sorted(e.name for e in found if e.name.endswith(_META_SUFFIXES))
        except OSError:  # a zip file, a missing directory: its own stat above covers it
            continue
        for name in names:
            meta = os.path.join(where, name)
            info = "METADATA" if name.endswith(".dist-info") else "PKG-INFO"
            parts.append(
                (name, _stat(meta), *(_stat(os.path.join(meta, f)) for f in ("entry_points.txt", info, "RECORD")))
            )
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _read() -> list[dict[str, Any]]:
    """The file's entries, newest first; [] when missing or not this format."""
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
        return []
    return [e for e in data["entries"] if isinstance(e, dict)]


def _holds(entry: dict[str, Any]) -> bool:
    """Every file and directory the full check recorded is as it was then."""
    files, dirs = entry.get("files"), entry.get("dirs")
    if not isinstance(files, list) or not isinstance(dirs, list):
        return False
    for path, mtime, size in files:
        if _stat(path) != (mtime, size):
            return False
    for path, mtime in dirs:
        found = _stat(path)
        if found is None or found[0] != mtime:
            return False
    return True


def load(env_key: str) -> Any | None:
    """The listing stored under `env_key` if its recorded code is unchanged, else None."""
    try:
        for entry in _read():
            if entry.get("env") == env_key:
                return entry.get("listing") if _holds(entry) else None
    except (TypeError, ValueError):  # a damaged entry: the full check decides
        return None
    return None


def _plugin_paths(modules: Iterable[str]) -> list[str]:
    """Where each plugin's top-level package or module lives, found without importing it."""
    found: list[str] = []
    for top in sorted({m.partition(".")[0] for m in modules if m}):
        try:
            spec = find_spec(top)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            found.extend(spec.submodule_search_locations)
        elif spec.origin and os.path.isfile(spec.origin):
            found.append(spec.origin)
    return found


def code_fingerprint(plugin_modules: Iterable[str]) -> tuple[dict[str, Stat], dict[str, int]]:
    """Stats of the files and directories a full check depended on, taken after it ran:
    every imported module's file and directory, and everything under the plugins' packages."""
    files: dict[str, Stat] = {}
    dirs: dict[str, int] = {}

    def add_file(path: str) -> None:
        st = _stat(path)
        if st is not None:
            files[path] = st
        folder = os.path.dirname(path)
        if folder not in dirs:
            st = _stat(folder)
            if st is not None:
                dirs[folder] = st[0]

    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.isabs(path):
            add_file(path)
    for root in _plugin_paths(plugin_modules):
        if os.path.isfile(root):
            add_file(root)
            continue
        for folder, subdirs, names in os.walk(root):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            st = _stat(folder)
            if st is not None:
                dirs[folder] = st[0]
            for name in names:
                add_file(os.path.join(folder, name))
    return files, dirs


def store(env_key: str, listing: Any, plugin_modules: Iterable[str], *, checked_since: int) -> None:
    """Keep `listing` under `env_key` with the code fingerprint; failing to write is not an error.

    `checked_since` is `time.time_ns()` taken before the full check: a file or directory modified
    since may have changed after the check read it, so that listing is not kept."""
    target = cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # nowhere to keep it: spare the fingerprint
    files, dirs = code_fingerprint(plugin_modules)
    if any(mtime >= checked_since for mtime, _ in files.values()) or any(
        mtime >= checked_since for mtime in dirs.values()
    ):
        return
    entry = {
        "env": env_key,
        "files": [[p, *st] for p, st in sorted(files.items())],
        "dirs": [[p, mtime] for p, mtime in sorted(dirs.items())],
        "listing": listing,
    }
    entries = [entry, *(e for e in _read() if e.get("env") != env_key)][:KEEP]
    try:
        fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "entries": entries}, out, separators=(",", ":"))
            os.replace(tmp, target)  # readers see the old file or the new one, never half of one
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return
