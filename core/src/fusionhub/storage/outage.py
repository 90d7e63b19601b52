"""Whether an error says the database could not be reached, rather than that a statement was wrong.

A worker waits such an error out (`fusionhub.jobs.worker`): a server restarting, a dropped
connection, a network blip, SQLite's file briefly unavailable. Anything else (a constraint, a
programming error) is a bug to surface, not to retry.
"""

from __future__ import annotations

import functools
import sqlite3


@functools.cache
def _unreachable() -> tuple[type[BaseException], ...]:
    """The drivers' and SQLAlchemy's "could not talk to the database" errors (SQLAlchemy wraps the
    drivers' in OperationalError / InterfaceError; the plain connections raise the drivers' own).
    Imported at the first error, not at start-up."""
    import sqlalchemy.exc

    errors: tuple[type[BaseException], ...] = (
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        sqlite3.OperationalError,
        OSError,  # ConnectionError, TimeoutError, a refused or reset socket
    )
    try:  # only with the postgres extra
        import psycopg
    except ImportError:
        return errors
    return (*errors, psycopg.OperationalError, psycopg.InterfaceError)


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached or the connection broke."""
    return isinstance(exc, _unreachable())
