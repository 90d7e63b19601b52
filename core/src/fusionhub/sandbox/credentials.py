"""Fixed sandbox credentials: every sandbox accepts these, so a host can add a sandbox store by hand.

`FUSIONHUB_SANDBOX=1 fusionhub stores add ...` routes a store to its plugin's sandbox; the store
still needs credentials the sandbox knows. Each plugin's sandbox fills its own credential
fields from these values (see its `credentials()`); they are not secret and reach no platform.
Each value is distinctive so the conformance kit's leak checks can spot it in any output.
"""

from __future__ import annotations

SANDBOX_CLIENT_ID = "fhsbx-client-id-0c4e1f7a"
"""An OAuth app's client id (an API key id where the platform has one)."""
SANDBOX_CLIENT_SECRET = "fhsbx-client-secret-9d2b6e3c"  # noqa: S105 (documented, accepted only by sandboxes)
"""An OAuth app's client secret (the shared secret paired with an API key)."""
SANDBOX_ACCESS_TOKEN = "fhsbx-access-token-5a8f2d91"  # noqa: S105
"""The access token a sandbox store starts with."""
SANDBOX_REFRESH_TOKEN = "fhsbx-refresh-token-7e3c0b64"  # noqa: S105
"""The refresh token paired with it, where the platform's tokens expire."""
