"""The capability matrix as plain data: every loaded platform × the 15 capabilities, each cell
with what a person needs to read it (why it is unsupported and what to do instead, or how the
workaround works and how long it takes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from fusionhub.capabilities import CAPABILITY_SPECS, Capability
from fusionhub.cli.report import platforms
from fusionhub.contracts import Level
from fusionhub.registry import PluginRecord


@dataclass(frozen=True, slots=True)
class Cell:
    platform: str
    capability: str
    level: str
    automation_enabled: bool
    explanation: str | None = None  # unsupported: why
    manual_workaround: str | None = None  # unsupported: what a person can do instead
    workaround: str | None = None  # workaround: how the plugin gets there
    estimated: str | None = None  # workaround: how long it takes, in words

    @property
    def tooltip(self) -> str:
        """The disabled control's tooltip: the plugin's explanation, then the manual workaround."""
        why = self.explanation or f"{self.platform} cannot {self.capability.replace('_', ' ')}"
        instead = f" Instead: {self.manual_workaround}" if self.manual_workaround else ""
        return f"{why.rstrip('.')}.{instead}"


@dataclass(frozen=True, slots=True)
class Row:
    capability: str
    group: str
    summary: str
    cells: list[Cell]


def duration(ms: int | None) -> str | None:
    if ms is None:
        return None
    seconds = ms / 1000
    if seconds < 60:
        return f"about {seconds:g} s"
    if seconds < 3600:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


# The hub's automation_enabled: the plugin's default, or the host's choice over it.
Automation = Callable[[str, Capability], bool]


def cell(record: PluginRecord, capability: Capability, automation: Automation) -> Cell:
    assert record.manifest is not None
    contract = record.manifest.contract(capability)
    found = Cell(record.slug, capability.value, contract.level.value, automation(record.slug, capability))
    if contract.level is Level.UNSUPPORTED:
        return replace(found, explanation=contract.explanation, manual_workaround=contract.manual_workaround)
    if contract.level is Level.WORKAROUND and contract.workaround is not None:
        estimated = duration(contract.workaround.estimated_time_ms)
        return replace(found, workaround=contract.workaround.description, estimated=estimated)
    return found


def matrix(records: list[PluginRecord], automation: Automation) -> tuple[list[str], list[Row]]:
    """The loaded platforms' slugs, and one row per capability in the specification's order."""
    loaded = platforms(records)
    return [r.slug for r in loaded], rows(loaded, automation)


def rows(loaded: list[PluginRecord], automation: Automation) -> list[Row]:
    return [
        Row(c.value, CAPABILITY_SPECS[c].group, CAPABILITY_SPECS[c].summary, [cell(r, c, automation) for r in loaded])
        for c in Capability
    ]
