"""The one error taxonomy every platform's failures are mapped into.

Each error has a machine category, a message fit for an end user, and structured
details for logs and hosts. Details are data the caller chose to attach; nothing in
here ever reads credentials, and `safe_details` drops keys that look like secrets
in case a plugin attaches one by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class ErrorCategory(StrEnum):
    RATE_LIMIT = "rate_limit"
    AUTH = "auth"
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    TRANSIENT = "transient"
    PLATFORM = "platform"
    UNSUPPORTED = "unsupported"
    PLUGIN_LOAD = "plugin_load"
    REFUSED = "refused"


# Key fragments that never belong in error details (compared lower-case).
_SECRET_KEY_FRAGMENTS = (
    "token",
    "secret",
    "password",
    "authorization",
    "api_key",
    "apikey",
    "x-api-key",
    "credential",
    "code_verifier",
    "cookie",
)


def _is_secret_key(key: str) -> bool:
    k = key.lower()
    return any(fragment in k for fragment in _SECRET_KEY_FRAGMENTS)


def safe_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Copy of `details` with secret-looking keys removed, recursively."""
    if not details:
        return {}
    out: dict[str, Any] = {}
    for key, value in details.items():
        if _is_secret_key(str(key)):
            out[str(key)] = "[redacted]"
        elif isinstance(value, Mapping):
            out[str(key)] = safe_details(value)
        else:
            out[str(key)] = value
    return out


class FusionHubError(Exception):
    """Base of every error the framework raises on purpose."""

    category: ErrorCategory = ErrorCategory.PLATFORM
    default_message = "The platform reported an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        platform: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = safe_details(details)
        self.platform = platform
        super().__init__(self.message)

    @property
    def user_message(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": str(self.category),
            "error": type(self).__name__,
            "message": self.user_message,
            "platform": self.platform,
            "details": self.details,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, category={self.category.value!r})"


class RateLimited(FusionHubError):
    """The call must wait `retry_after` seconds; a worker re-schedules instead of sleeping."""

    category = ErrorCategory.RATE_LIMIT
    default_message = "The platform's rate limit is reached."

    def __init__(
        self,
        retry_after: float,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        platform: str | None = None,
    ) -> None:
        self.retry_after = max(0.0, float(retry_after))
        super().__init__(
            message or f"{self.default_message} Retry after {self.retry_after:.3f}s.",
            details={**(details or {}), "retry_after": self.retry_after},
            platform=platform,
        )


class AuthError(FusionHubError):
    category = ErrorCategory.AUTH
    default_message = "The store's credentials were rejected; reconnect the store."


class ValidationError(FusionHubError):
    """Bad input. `errors` holds one entry per field: {"loc": "a.b.0", "msg": "..."}."""

    category = ErrorCategory.VALIDATION
    default_message = "The input is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        details: Mapping[str, Any] | None = None,
        platform: str | None = None,
    ) -> None:
        self.errors = list(errors or [])
        if message is None and self.errors:
            message = "Invalid input: " + "; ".join(f"{e['loc']}: {e['msg']}" for e in self.errors)
        super().__init__(message, details={**(details or {}), "errors": self.errors}, platform=platform)


class NotFound(FusionHubError):
    category = ErrorCategory.NOT_FOUND
    default_message = "The requested object does not exist on the platform."


class TransientError(FusionHubError):
    category = ErrorCategory.TRANSIENT
    default_message = "The platform is temporarily unavailable; the call can be retried."


class PlatformError(FusionHubError):
    category = ErrorCategory.PLATFORM


class CapabilityUnsupported(FusionHubError):
    """The platform cannot do this; carries the explanation and the manual workaround."""

    category = ErrorCategory.UNSUPPORTED
    default_message = "This capability is not available on this platform."

    def __init__(
        self,
        capability: str,
        explanation: str,
        *,
        manual_workaround: str | None = None,
        platform: str | None = None,
    ) -> None:
        self.capability = capability
        self.explanation = explanation
        self.manual_workaround = manual_workaround
        text = f"{capability} is not supported on {platform or 'this platform'}: {explanation}"
        if manual_workaround:
            text += f" Manual workaround: {manual_workaround}"
        super().__init__(
            text,
            details={"capability": capability, "manual_workaround": manual_workaround},
            platform=platform,
        )


class AutomationDisabled(FusionHubError):
    """The host switched automation off for this capability; only a person may run it."""

    category = ErrorCategory.REFUSED
    default_message = "Automation is disabled for this capability."


class OutcomeUnknown(FusionHubError):
    """A write an earlier run may already have applied, which its plugin cannot take effect once:
    not sent again (a person checks the platform and runs it again if it is missing)."""

    category = ErrorCategory.REFUSED
    default_message = "An earlier run of this write may have reached the platform; it was not sent again."


class PluginLoadError(FusionHubError):
    category = ErrorCategory.PLUGIN_LOAD
    default_message = "A plugin could not be loaded."


def loc_part(part: Any) -> str:
    """A field path's part as text; a key the caller made up (a newline, a control character, a dot,
    nothing) is quoted, so the message stays one line and the path stays readable."""
    text = str(part)
    return text if text and text.isprintable() and "." not in text else repr(text)


def from_pydantic(exc: Any, *, prefix: str = "", platform: str | None = None) -> ValidationError:
    """Turn a pydantic ValidationError into ours, keeping every field path."""
    errors = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(loc_part(part) for part in err["loc"])
        errors.append({"loc": f"{prefix}{loc}" if prefix else loc, "msg": err["msg"]})
    return ValidationError(errors=errors, platform=platform)
