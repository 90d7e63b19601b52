"""Find the official API descriptions (shared/specs/) that tests validate plugin requests against.

They live beside the repository, not in it: `FUSIONHUB_SPECS_DIR` names the folder, else the
first `shared/specs` found walking up from the caller's directory (a clone with shared/ beside it,
as CI lays it out) is used. None when absent, so tests can skip with a clear reason.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_SPECS_DIR = "FUSIONHUB_SPECS_DIR"


def specs_dir(start: str | Path | None = None) -> Path | None:
    env = os.environ.get(ENV_SPECS_DIR)
    if env:
        return Path(env) if Path(env).is_dir() else None
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "shared" / "specs"
        if candidate.is_dir():
            return candidate
    return None


def spec_file(relative: str, start: str | Path | None = None) -> Path | None:
    """`spec_file("<platform>/openapi.json", __file__)` → the file, or None when absent."""
    base = specs_dir(Path(start).parent if start and Path(start).is_file() else start)
    if base is None:
        return None
    path = base / relative
    return path if path.is_file() else None


def require_spec(relative: str, start: str | Path | None = None) -> Path:
    """The spec file; skips the test when absent, but fails under CI, where shared/ is always laid."""
    import pytest

    path = spec_file(relative, start)
    if path is None:
        message = f"official API description shared/specs/{relative} not found (set {ENV_SPECS_DIR})"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must validate against it")
        pytest.skip(message)
    return path
