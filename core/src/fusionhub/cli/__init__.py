"""The `fusionhub` command. Each command group lives in its own module, imported only when used.

To add a group, write `cli/<name>.py` with a click command or group and add one line to COMMANDS.
"""

from __future__ import annotations

from fusionhub.cli.app import LazyGroup

COMMANDS: dict[str, str] = {
    "plugins": "fusionhub.cli.plugins:plugins",
    "demo": "fusionhub.cli.demo:demo",
    "stores": "fusionhub.cli.stores:stores",
    "run": "fusionhub.cli.run:run",
    "jobs": "fusionhub.cli.jobs:jobs",
    "events": "fusionhub.cli.events:events",
    "worker": "fusionhub.cli.worker:worker",
    "keys": "fusionhub.cli.keys:keys",
    "db": "fusionhub.cli.db:db",
    "new-plugin": "fusionhub.cli.new_plugin:new_plugin",
    "reference": "fusionhub.cli.reference:reference",
    "serve": "fusionhub.cli.serve:serve",
}

cli = LazyGroup(
    name="fusionhub",
    commands_by_path=COMMANDS,
    help="Fusion Stage Hub: standard e-commerce capabilities over many platforms.",
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every subcommand
)


def main() -> None:
    """Console script entry point (`fusionhub = fusionhub.cli:main`)."""
    cli(prog_name="fusionhub")


__all__ = ["COMMANDS", "cli", "main"]
