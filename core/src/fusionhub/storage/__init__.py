"""Persistence: SQLAlchemy Core (async) over SQLite by default or PostgreSQL, with Alembic migrations."""

from fusionhub.storage.database import Database
from fusionhub.storage.url import database_url, sqlite_url

__all__ = ["Database", "database_url", "sqlite_url"]
