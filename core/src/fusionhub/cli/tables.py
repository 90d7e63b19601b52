"""Terminal rendering of plugin reports with rich, imported here only (JSON output never needs it).

`render_list` works from `plugins list --json`'s entries (plain data, maybe from the verdict
cache), so it imports none of the framework; the others take registry records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from fusionhub.contracts import PluginManifest
    from fusionhub.registry import PluginRecord

# By status value (fusionhub.registry.PluginStatus is a StrEnum: its members find these too).
STATUS_STYLE = {"loaded": "green", "failed": "red", "blocked": "yellow", "incompatible": "magenta"}
LEVEL_STYLE = {"native": "green", "workaround": "yellow", "unsupported": "grey50"}
LEVEL_MARK = {"native": "●", "workaround": "◐", "unsupported": "○"}


PIPED_WIDTH = 200  # a pipe or a file has no width to fit: rich's default 80 columns folds every cell


def console() -> Console:
    import os
    import sys

    from rich.console import Console

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PIPED_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width)


def render_list(entries: Sequence[Mapping[str, Any]]) -> None:
    """The listing's table, from `plugins list --json`'s entries (fusionhub.cli.report.plugin_entry)."""
    from rich.table import Table

    table = Table(title="Installed fusionhub plugins", title_justify="left")
    for column in ("slug", "name", "version", "distribution", "kind", "status", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries:
        status = e["status"]
        table.add_row(
            e["slug"],
            e["name"],
            e["version"] or "",
            e["distribution"] or "",
            e["kind"] or "",
            f"[{STATUS_STYLE[status]}]{status}[/]",
            _plain(_short(e["error"] or "")),
        )
    out = console()
    out.print(table)
    broken = sum(e["status"] != "loaded" for e in entries)
    if broken:
        out.print(f"{broken} plugin(s) not loaded: run [bold]fusionhub plugins doctor[/] for fixes.")


def _credentials(m: PluginManifest) -> str:
    """`access_token, one of (webhook_secret | client_secret)`: what a store of the platform must hold."""
    parts = list(m.credential_fields) + [f"one of ({' | '.join(c.one_of)})" for c in m.credentials_one_of]
    return ", ".join(parts)


def render_show(record: PluginRecord) -> None:
    from rich.table import Table

    from fusionhub.capabilities import Capability
    from fusionhub.cli.report import describe_rate_limit

    out = console()
    m = record.manifest
    out.print(f"[bold]{_plain(record.slug)}[/] — [{STATUS_STYLE[record.status]}]{record.status.value}[/]")
    facts = {
        "name": m.name if m else record.name,
        "version": m.version if m else record.dist_version,
        "distribution": record.distribution,
        "kind": record.kind.value if record.kind else None,
        "platform API": m.api if m else None,
        "auth": m.auth.value if m else None,
        "core API range": m.core_api if m else None,
        "credentials": _credentials(m) if m else None,
        "hosts": ", ".join(m.hosts) if m else None,
        "rate limit": describe_rate_limit(m.constraints.rate_limit) if m else None,
        "constraints": _constraints(m.constraints) if m else None,
        "error": record.error,
        "fix": record.hint,
    }
    for key, value in facts.items():
        if value:
            out.print(f"  {key:<15} {_plain(str(value))}")
    if m is None:
        return
    table = Table(title="Capabilities", title_justify="left")
    for column in ("capability", "level", "automation", "overrides", "workaround / explanation"):
        table.add_column(column, overflow="fold")
    for c in Capability:
        contract = m.contract(c)
        unsupported = contract.level.value == "unsupported"
        table.add_row(
            c.value,
            _level(contract.level.value),
            "—" if unsupported else "on" if contract.automation_enabled else "[yellow]off[/]",
            _constraints(contract.constraints) if contract.constraints else "",
            _plain(_note(contract)),
        )
    out.print(table)


def render_doctor(records: list[PluginRecord]) -> None:
    out = console()
    counts: dict[str, int] = {}
    for r in records:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    out.print(f"{len(records)} plugin(s) found: {summary}.")
    broken = [r for r in records if r.status != "loaded"]
    if not records:
        out.print("No plugin is installed: pip install a fusionhub plugin (entry-point group fusionhub.plugins).")
    elif not broken:
        out.print("[green]Every installed plugin loaded.[/]")
        return
    from rich.table import Table
    from rich.text import Text

    for r in broken:
        where = f" ({_plain(r.distribution)} {r.dist_version})" if r.distribution else ""
        out.print(f"\n[{STATUS_STYLE[r.status]}]✗ {_plain(r.name)}[/]{where}: {r.status.value}")
        # A grid keeps long, multi-line reasons (pluggy's) indented under their label.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=11, justify="right")
        grid.add_column(overflow="fold")
        grid.add_row("reason:", Text(r.error or "unknown"))
        grid.add_row("fix:", Text(r.hint or "see the plugin's documentation"))
        out.print(grid)


def render_matrix(records: list[PluginRecord], *, title: str = "Capability matrix") -> None:
    from rich.table import Table

    from fusionhub.capabilities import CAPABILITY_SPECS, Capability
    from fusionhub.cli.report import platforms

    out = console()
    loaded = platforms(records)
    if not loaded:
        out.print("No platform plugin is loaded: run [bold]fusionhub plugins doctor[/].")
        return
    table = Table(title=title, title_justify="left")
    table.add_column("capability")
    table.add_column("group", style="grey50")
    for r in loaded:
        table.add_column(r.slug)
    notes: list[str] = []
    for c in Capability:
        row = [c.value, CAPABILITY_SPECS[c].group]
        for r in loaded:
            assert r.manifest is not None
            contract = r.manifest.contract(c)
            cell = _level(contract.level.value)
            if contract.level.value != "native":
                notes.append(f"{r.slug} · {c.value}: {_note(contract)}")
                cell += f" [grey50]\\[{len(notes)}][/]"
            if not contract.automation_enabled and contract.level.value != "unsupported":
                cell += " [yellow](manual only)[/]"
            row.append(cell)
        table.add_row(*row)
    out.print(table)
    out.print("[green]● native[/]  [yellow]◐ workaround[/]  [grey50]○ unsupported (greyed: not available)[/]")
    for number, note in enumerate(notes, start=1):
        out.print(f"[grey50]\\[{number}] {_plain(note)}[/]")


def _constraints(constraints: Any) -> str:
    data = constraints.model_dump(mode="json", exclude_none=True, exclude={"rate_limit"})
    return _plain(", ".join(f"{k}={v}" for k, v in data.items()))


def _level(level: str) -> str:
    return f"[{LEVEL_STYLE[level]}]{LEVEL_MARK[level]} {level}[/]"


def _note(contract: Any) -> str:
    if contract.workaround is not None:
        text = f"workaround: {contract.workaround.description}"
        if contract.workaround.estimated_time_ms:
            text += f" (≈{contract.workaround.estimated_time_ms} ms per item)"
        return text
    if contract.explanation:
        text = str(contract.explanation)
        if contract.manual_workaround:
            text += f" Manual workaround: {contract.manual_workaround}"
        return text
    return str(contract.notes or "")


def _short(text: str, limit: int = 90) -> str:
    """The first line of a reason, cut to fit a table cell (doctor shows it whole)."""
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _plain(text: str) -> str:
    from rich.markup import escape

    return escape(text)
