"""`fusionhub demo`: until the runtime's end-to-end demo exists, the capability matrix of what is installed."""

from __future__ import annotations

import click

from fusionhub.registry import Registry


@click.command()
def demo() -> None:
    """Show what the installed plugins offer (the full sandbox demo comes with the runtime)."""
    from fusionhub.cli.tables import console, render_matrix

    records = Registry.discover().records
    render_matrix(records, title="What the installed plugins offer")
    broken = [r for r in records if r.status.value != "loaded"]
    if broken:
        console().print(f"{len(broken)} plugin(s) not loaded: run [bold]fusionhub plugins doctor[/].")
