"""Start-up cost: `fusionhub --version` and `fusionhub plugins list` against the import floor.

The floor is a fresh interpreter importing what any `fusionhub` command needs anyway
(`import httpx, pydantic, pluggy, structlog, click`). Each figure is the CPU time (user + sys)
of a child process, read from `os.wait4`, median of 7 runs (3 in quick mode), the three commands
interleaved so that other load on the machine hits all alike. `plugins list` lists whatever is
installed in this environment (every plugin of the repository and the test fixtures under nox
and `mkenv.sh`). It is measured twice: as it runs once the verdict cache holds this environment's
listing (fusionhub.verdict_cache; the warm-up run writes it into a temporary cache directory),
and with the cache out of reach (`FUSIONHUB_CACHE_DIR` unwritable: every run imports and checks
each plugin, as after an install or an upgrade, or `plugins list --fresh`).

Two settings, each side alike: bytecode cached (as an installer leaves it: the children write and
read `.pyc` files under a temporary `PYTHONPYCACHEPREFIX`), and no bytecode cache
(`PYTHONDONTWRITEBYTECODE=1`, as on the development VM: every start compiles every module it
imports, so the figures grow with the amount of source imported).

`python -m bench.startup` prints the table alone.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

from bench import Row

FLOOR = [sys.executable, "-c", "import httpx, pydantic, pluggy, structlog, click"]
LIST = [sys.executable, "-m", "fusionhub.cli", "plugins", "list"]
NO_CACHE = {"FUSIONHUB_CACHE_DIR": os.devnull}  # a directory that cannot be made: the full check each run
# name: (argv, environment added to the setting's)
COMMANDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "fusionhub --version": ([sys.executable, "-m", "fusionhub.cli", "--version"], {}),
    "fusionhub plugins list": (LIST, {}),
    "fusionhub plugins list, cache off": (LIST, NO_CACHE),
}
TARGETS = {"fusionhub --version": 1.2, "fusionhub plugins list": 1.5}  # issue 18's bounds


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU time of one run of `argv` (output discarded; a failure raises)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)  # noqa: S603
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return usage.ru_utime + usage.ru_stime


def _env(cached: bool, cache_dir: str) -> dict[str, str]:
    # The table's width does not depend on a terminal; the verdict cache starts empty (the warm-up fills it).
    env = {**os.environ, "COLUMNS": "120", "FUSIONHUB_CACHE_DIR": os.path.join(cache_dir, "fusionhub")}
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache_dir
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def measure(runs: int, *, cached: bool) -> dict[str, float]:
    """Median CPU seconds of the floor and of each command, runs interleaved."""
    samples: dict[str, list[float]] = {"floor": [], **{name: [] for name in COMMANDS}}
    with tempfile.TemporaryDirectory(prefix="fusionhub-pyc-") as cache_dir:
        env = _env(cached, cache_dir)
        cpu_seconds(FLOOR, env)  # warm the file cache (and write the bytecode) of every side once
        for argv, extra in COMMANDS.values():
            cpu_seconds(argv, {**env, **extra})
        for _ in range(runs):
            samples["floor"].append(cpu_seconds(FLOOR, env))
            for name, (argv, extra) in COMMANDS.items():
                samples[name].append(cpu_seconds(argv, {**env, **extra}))
    return {name: statistics.median(values) for name, values in samples.items()}


def rows(quick: bool = False) -> list[Row]:
    out = []
    for cached in (True, False):
        medians = measure(3 if quick else 7, cached=cached)
        floor = medians["floor"]
        setting = "bytecode cached" if cached else "no bytecode cache"
        out += [
            Row(
                f"{name} (CPU, median, {setting})",
                floor * 1000,
                medians[name] * 1000,
                "ms",
                "floor = import httpx, pydantic, pluggy, structlog, click"
                + (f"; target ≤ {TARGETS[name]} ×" if name in TARGETS else ""),
            )
            for name in COMMANDS
        ]
    return out


if __name__ == "__main__":
    for row in rows("--quick" in sys.argv):
        print(f"{row.scenario}: floor {row.baseline:.0f} ms, ours {row.ours:.0f} ms, ratio {row.ratio:.2f}")
