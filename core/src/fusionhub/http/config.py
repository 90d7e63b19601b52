"""What a plugin tells core about talking to its platform for one store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from fusionhub.observability.redaction import redact, register_secret_keys, scrub
from fusionhub.ratelimit import Limiter

ResponseObserver = Callable[[httpx.Response, Limiter], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, the first one included
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 1.0
    # A Retry-After longer than this is not waited for in the client: the 429 reaches the plugin,
    # which raises RateLimited(retry_after) so a worker re-schedules the job instead of sleeping.
    max_retry_after: float = 60.0
    # Retries one capability call may send in all, across its requests (a paged read included).
    call_retries: int = 10


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(slots=True)
class HttpConfig:
    base_url: str
    auth: httpx.Auth | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    http2: bool = False
    # Bodies larger than this are gzip-compressed when the platform accepts it (None: never).
    gzip_min_bytes: int | None = None
    # Reads rate-limit headers/bodies into the store's buckets after every response.
    on_response: ResponseObserver | None = None
    # Transient failures of idempotent requests are retried with exponential back-off and jitter.
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # The platform's own header/parameter names that carry credentials (redacted like core's defaults).
    secret_names: tuple[str, ...] = ()
    # Hosts besides the base URL's (and the OAuth token endpoint's) that may receive the store's
    # credentials: exact names or "*.example.com". A request carrying credentials anywhere else is refused.
    hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        register_secret_keys(*self.secret_names)

    def __repr__(self) -> str:
        # Plugins may put a token in a default header: never show it.
        return (
            f"HttpConfig(base_url={scrub(self.base_url)!r}, auth={self.auth!r}, headers={redact(self.headers)!r}, "
            f"timeout={self.timeout!r}, http2={self.http2!r}, gzip_min_bytes={self.gzip_min_bytes!r}, "
            f"retry={self.retry!r}, hosts={self.hosts!r})"
        )


# Per-request settings a plugin passes through `extensions={"fusionhub": RequestMeta(...)}`.
@dataclass(frozen=True, slots=True)
class RequestMeta:
    cost: float = 1.0
    operation: str | None = None
    endpoint_class: str | None = None
    idempotent: bool | None = None  # None: decided by HTTP method
    retry: bool = True
    # False: the body is left unread for the caller to stream (large downloads) and on_response is skipped.
    observe: bool = True

    @staticmethod
    def of(request: httpx.Request) -> RequestMeta:
        meta = request.extensions.get("fusionhub")
        return meta if isinstance(meta, RequestMeta) else DEFAULT_META


DEFAULT_META = RequestMeta()


def meta(**kwargs: object) -> dict[str, RequestMeta]:
    """`client.get(url, extensions=meta(cost=52, operation="getListingsItem"))`."""
    return {"fusionhub": RequestMeta(**kwargs)}  # type: ignore[arg-type]
