"""`fusionhub new-plugin NAME`: write a complete plugin distribution from the templates core ships.

The templates are data inside the `fusionhub` package (`fusionhub/templates/plugin/`, no code):
each `*.tmpl` file is written without its suffix, with `{{slug}}`, `{{SLUG}}`, `{{package}}`, `{{name}}`,
`{{Class}}`, `{{dist}}`, `{{core_range}}` and `{{host}}` filled in; a `_package_` folder becomes
the plugin's import package. Freshly written, the plugin installs and passes the conformance kit.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from fusionhub.version import CORE_API_VERSION

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")  # the manifest's slug pattern
TEMPLATE_SUFFIX = ".tmpl"
PACKAGE_DIR = "_package_"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def names(slug: str) -> dict[str, str]:
    """Every name the templates use, derived from the platform's slug."""
    if not SLUG.match(slug) or len(slug) > 64:
        raise click.BadParameter(
            f"{slug!r} is not a plugin slug: lower-case letters and digits, words joined by '-', "
            "starting with a letter (e.g. 'acme' or 'acme-shop')",
            param_hint="NAME",
        )
    words = slug.split("-")
    major = int(CORE_API_VERSION.split(".")[0])
    return {
        "slug": slug,
        "SLUG": "_".join(words).upper(),
        "package": "fusionhub_" + "_".join(words),
        "dist": f"fusionhub-{slug}",
        "name": " ".join(w.capitalize() for w in words),
        "Class": "".join(w.capitalize() for w in words),
        "core_range": f">={CORE_API_VERSION},<{major + 1}",
        "host": f"api.{slug}.example",
    }


def render(text: str, values: dict[str, str], where: str) -> str:
    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {where} names an unknown placeholder {{{{{key}}}}}")
        return values[key]

    return PLACEHOLDER.sub(fill, text)


def _files(folder: Traversable, relative: Path) -> list[tuple[Path, Traversable]]:
    found: list[tuple[Path, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name != "__pycache__":
                found += _files(entry, relative / entry.name)
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            found.append((relative / entry.name.removesuffix(TEMPLATE_SUFFIX), entry))
    return found


def template_files() -> list[tuple[Path, Traversable]]:
    """(path in the new distribution, template) for every template file."""
    return _files(resources.files("fusionhub").joinpath("templates", "plugin"), Path())


def write_plugin(slug: str, target: Path) -> list[Path]:
    """Write plugin `slug` into `target` (which must not exist or be empty); the files written."""
    values = names(slug)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise click.ClickException(f"{target} already exists and is not an empty folder: choose another --dir")
    written: list[Path] = []
    for relative, template in template_files():
        path = target / Path(*(values["package"] if part == PACKAGE_DIR else part for part in relative.parts))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(template.read_text("utf-8"), values, str(relative)), "utf-8")
        written.append(path)
    return written


@click.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the distribution into (default: ./fusionhub-NAME).",
)
def new_plugin(name: str, directory: Path | None) -> None:
    """Write a complete plugin distribution for platform NAME (its slug, e.g. 'acme').

    It installs as it is and passes the conformance kit: fill in the client (plugin.py), the
    mapping (wire.py) and the sandbox (sandbox.py) from the platform's documentation.
    """
    values = names(name)
    target = directory if directory is not None else Path(values["dist"])
    written = write_plugin(name, target)
    click.echo(f"wrote {values['dist']} ({len(written)} files) in {target}")
    click.echo(f"next: cd {target} && uv venv && uv pip install -e '.[test]' && pytest")
