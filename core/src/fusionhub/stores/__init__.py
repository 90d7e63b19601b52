"""Stores: one shop on one platform.

`Store` (the shape a plugin sees) is here; `fusionhub.stores.service` keeps stores in the
database, credentials encrypted (the runtime's part, imported only by hosts).
"""

from fusionhub.stores.store import Store

__all__ = ["Store"]
