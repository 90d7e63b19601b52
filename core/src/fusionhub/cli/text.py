"""Plain-text output the runtime's commands share: tables with a header row, local times, durations.

Plain text rather than rich: these commands print many rows fast and stay greppable when piped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

import click

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86_400.0}


def local_time(epoch: float | None) -> str:
    """An epoch time as the user's local date and time (to the second), '' for none."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """Lines of a left-aligned table under its header row; the last column is never padded."""
    cells = [[str(c) for c in headers], *([("" if c is None else str(c)) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    for line in table(headers, rows):
        click.echo(line)


def duration(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> float | None:
    """A click callback: `90`, `90s`, `10m`, `1.5h`, `2d` as seconds."""
    if value is None:
        return None
    match = _DURATION.match(value)
    if match is None:
        raise click.BadParameter(f"{value!r} is not a duration: write 90s, 10m, 1.5h or 2d", ctx, param)
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
