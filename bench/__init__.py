"""Benchmarks (not tests): `python -m bench` runs every module listed in `bench.__main__.MODULES`.

A module exposes `rows(quick: bool) -> list[Row]`; each row is one scenario's figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    scenario: str
    baseline: float  # what we compare against, in `unit`
    ours: float
    unit: str
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("nan")
