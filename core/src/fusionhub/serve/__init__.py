"""`fusionhub serve`: one ASGI app for the web admin, its JSON API and the webhook receivers.

Needs the `serve` extra (`pip install 'fusionhub[serve]'`). The CLI opens the runtime and hands it
to `create_app`; tests do the same with their own runtime.
"""

from __future__ import annotations

from fusionhub.serve.app import create_app
from fusionhub.serve.auth import AdminToken, BindRefused, admin_token

__all__ = ["AdminToken", "BindRefused", "admin_token", "create_app"]
