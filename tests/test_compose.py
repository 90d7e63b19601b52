"""compose.yaml and the Dockerfile, checked without pulling or building an image.

Every fusionhub service's command is parsed by the CLI's own click parser (a misspelt option or
an out-of-range value fails here, not at `docker compose up`), every service shares one database
URL and one set of secret keys, the database URL matches the database service, the start order
is db → migrate → serve and workers, and the image installs the extras the commands need.
Where Docker Compose is installed, `docker compose config` checks the file against its schema.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest

from fusionhub.cli import cli

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")
ENV = {"FUSIONHUB_SECRET_KEYS": "k1", "FUSIONHUB_ADMIN_TOKEN": "t1"}


class MissingVariable(Exception):
    pass


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` (what this file uses)."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.groups()
        if env.get(name):
            return env[name]
        if op == "?":
            raise MissingVariable(f"{name}: {arg}")
        return arg if op == "-" else ""

    return VARIABLE.sub(one, value)


def _compose(env: dict[str, str] = ENV) -> dict[str, Any]:
    data: dict[str, Any] = _interpolate(yaml.safe_load(COMPOSE.read_text()), env)
    return data


def _fusionhub_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in _compose()["services"].items() if s.get("image") == "fusionhub:local"}


def test_the_services_and_two_workers() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", "migrate", "serve", "worker"}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert set(_fusionhub_services()) == {"migrate", "serve", "worker"}
    for name, service in _fusionhub_services().items():
        assert service["build"] == ".", name
    assert (ROOT / "Dockerfile").exists()


def test_one_database_and_one_set_of_keys_for_every_service() -> None:
    services = _compose()["services"]
    envs = [s["environment"] for s in _fusionhub_services().values()]
    assert len({e["FUSIONHUB_DATABASE_URL"] for e in envs}) == 1
    assert {e["FUSIONHUB_SECRET_KEYS"] for e in envs} == {"k1"}
    url = urlsplit(envs[0]["FUSIONHUB_DATABASE_URL"])
    db = services["db"]["environment"]
    assert url.scheme == "postgresql" and url.hostname in services and url.hostname == "db"
    assert (url.username, url.password, url.path.lstrip("/")) == (
        db["POSTGRES_USER"],
        db["POSTGRES_PASSWORD"],
        db["POSTGRES_DB"],
    )


@pytest.mark.parametrize("missing", ["FUSIONHUB_SECRET_KEYS", "FUSIONHUB_ADMIN_TOKEN"])
def test_secrets_are_required_not_defaulted(missing: str) -> None:
    with pytest.raises(MissingVariable, match=missing):
        _compose({k: v for k, v in ENV.items() if k != missing})


def test_start_order_db_then_migrations_then_the_rest() -> None:
    services = _compose()["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no" and services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("serve", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}


def _command_of(args: list[str]) -> tuple[click.Command, list[str], str]:
    command: click.Command = cli
    path = []
    while isinstance(command, click.Group):
        name, *args = args
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"`fusionhub {' '.join([*path, name])}` is not a command"
        command, path = found, [*path, name]
    return command, args, " ".join(path)


@pytest.mark.parametrize("service", ["migrate", "serve", "worker"])
def test_each_command_parses_with_the_cli(service: str) -> None:
    args = _fusionhub_services()[service]["command"]
    if args[0] not in cli.list_commands(click.Context(cli)):
        pytest.skip(f"`fusionhub {args[0]}` is not in this build yet")
    command, rest, name = _command_of(list(args))
    command.make_context(name, rest)  # parses and validates every option; runs nothing


def test_the_image_installs_what_the_commands_need() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (extras,) = re.findall(r"fusionhub-\*\.whl\)\[([\w,]+)\]", dockerfile)
    declared = tomllib.loads((ROOT / "core" / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(extras.split(",")) <= set(declared), extras
    commands = [" ".join(s["command"]) for s in _fusionhub_services().values()]
    assert any("--metrics-port" in c for c in commands) and "prometheus" in extras  # an exporter for the port
    assert any(c.startswith("serve") for c in commands) and "serve" in extras
    assert "postgres" in extras
    assert "FUSIONHUB_METRICS_HOST=0.0.0.0" in dockerfile  # reachable from the compose network


def _docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)  # noqa: S603
    return [docker, "compose"] if probe.returncode == 0 else None


@pytest.mark.skipif(_docker_compose() is None, reason="Docker Compose is not installed here")
def test_docker_compose_accepts_the_file() -> None:
    compose = _docker_compose()
    assert compose is not None
    done = subprocess.run(  # noqa: S603 - fixed argv
        [*compose, "-f", str(COMPOSE), "config", "--quiet"],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
