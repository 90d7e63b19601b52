"""Where the database is: FUSIONHUB_DATABASE_URL, or a SQLite file in the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_URL = "FUSIONHUB_DATABASE_URL"
APP_NAME = "fusionhub"

# Driver each scheme is spoken through (async SQLAlchemy needs an async driver).
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def sqlite_url(path: Path | str) -> str:
    return f"sqlite+aiosqlite:///{Path(path)}"


def database_url(url: str | None = None) -> str:
    """The URL to use, with the async driver filled in (`postgresql://` → `postgresql+psycopg://`)."""
    url = url or os.environ.get(ENV_URL)
    if not url:
        directory = data_dir()
        directory.mkdir(parents=True, exist_ok=True)
        return sqlite_url(directory / "fusionhub.db")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r} (e.g. sqlite:///path/file.db or postgresql://host/db)")
    return f"{_ASYNC_DRIVERS.get(scheme, scheme)}://{rest}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")
