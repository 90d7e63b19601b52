"""Fixtures every core test may ask for by name (defined in runtime_db: databases other processes open)."""

from runtime_db import pg_process_db_url, process_db_url, secret_keys

__all__ = ["pg_process_db_url", "process_db_url", "secret_keys"]
