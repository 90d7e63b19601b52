"""A click group whose subcommands are imported on first use, so `fusionhub plugins list`
does not pay for the worker's or the database's imports."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click

from fusionhub.version import __version__


class LazyGroup(click.Group):
    def __init__(self, *args: Any, commands_by_path: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._paths = commands_by_path  # kept by reference: a line added to COMMANDS registers a group
        self.params.append(
            click.Option(
                ["--version"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                help="Show the version and exit.",
                callback=_print_version,
            )
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._paths})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._paths:
            return _import_command(self._paths[cmd_name])
        return super().get_command(ctx, cmd_name)


def _import_command(path: str) -> click.Command:
    module_name, _, attr = path.partition(":")
    command = getattr(importlib.import_module(module_name), attr)
    if not isinstance(command, click.Command):
        raise TypeError(f"{path} is not a click command")
    return command


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from fusionhub.version import CORE_API_VERSION

        click.echo(f"fusionhub {__version__} (plugin API {CORE_API_VERSION})")
        ctx.exit()
