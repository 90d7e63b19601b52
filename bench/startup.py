"""Start-up cost: `fusionhub --version` and `fusionhub plugins list` against the import floor.

The floor is a fresh interpreter importing what any `fusionhub` command needs anyway
(`import httpx, pydantic, pluggy, structlog, click`). Each figure is the CPU time (user + sys)
of a child process, read from `os.wait4`, median of 7 runs (3 in quick mode), the three commands
interleaved so that other load on the machine hits all alike. `plugins list` lists whatever is
installed in this environment (every plugin of the repository and the test fixtures under nox
and `mkenv.sh`), so it pays for importing and checking each of them.

`python -m bench.startup` prints the table alone.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from bench import Row

FLOOR = [sys.executable, "-c", "import httpx, pydantic, pluggy, structlog, click"]
COMMANDS = {
    "fusionhub --version": [sys.executable, "-m", "fusionhub.cli", "--version"],
    "fusionhub plugins list": [sys.executable, "-m", "fusionhub.cli", "plugins", "list"],
}
TARGETS = {"fusionhub --version": 1.2, "fusionhub plugins list": 1.5}  # issue 18's bounds


def cpu_seconds(argv: list[str]) -> float:
    """User + system CPU time of one run of `argv` (output discarded; a failure raises)."""
    env = {**os.environ, "COLUMNS": "120"}  # the table's width does not depend on a terminal
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)  # noqa: S603
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return usage.ru_utime + usage.ru_stime


def measure(runs: int) -> dict[str, float]:
    """Median CPU seconds of the floor and of each command, runs interleaved."""
    samples: dict[str, list[float]] = {"floor": [], **{name: [] for name in COMMANDS}}
    cpu_seconds(FLOOR)  # warm the file cache and the bytecode of every side once
    for argv in COMMANDS.values():
        cpu_seconds(argv)
    for _ in range(runs):
        samples["floor"].append(cpu_seconds(FLOOR))
        for name, argv in COMMANDS.items():
            samples[name].append(cpu_seconds(argv))
    return {name: statistics.median(values) for name, values in samples.items()}


def rows(quick: bool = False) -> list[Row]:
    medians = measure(3 if quick else 7)
    floor = medians["floor"]
    return [
        Row(
            f"{name} (CPU, median)",
            floor * 1000,
            medians[name] * 1000,
            "ms",
            f"floor = import httpx, pydantic, pluggy, structlog, click; target ≤ {TARGETS[name]} ×",
        )
        for name in COMMANDS
    ]


if __name__ == "__main__":
    for row in rows("--quick" in sys.argv):
        print(f"{row.scenario}: floor {row.baseline:.0f} ms, ours {row.ours:.0f} ms, ratio {row.ratio:.2f}")
