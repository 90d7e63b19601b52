"""Build a store's `httpx.AsyncClient`: base URL, auth, timeouts, pooling, rate limiting."""

from __future__ import annotations

import functools
import ssl

import httpx

from fusionhub.http.config import HttpConfig
from fusionhub.http.hosts import CredentialGuard, declared_hosts
from fusionhub.http.transport import ApiCallSink, CallLabels, LimitedTransport
from fusionhub.ratelimit import Limiter


@functools.cache
def tls_context(http2: bool = False) -> ssl.SSLContext:
    """One verifying TLS context per HTTP version for every store's transport in this process.

    httpx builds a fresh one per transport, loading the CA bundle each time (~35 ms): a worker
    connecting fifty stores spent seconds on it. An SSLContext is made to be shared; one per
    `http2` because httpcore sets the context's ALPN protocols from it before each handshake.
    """
    return httpx.create_ssl_context()


def build_client(
    config: HttpConfig,
    limiter: Limiter,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    sink: ApiCallSink | None = None,
    labels: CallLabels | None = None,
) -> httpx.AsyncClient:
    """`transport` routes the client (a sandbox, a MockTransport); `sink` receives one ApiCall per request.

    Credentials go only to the hosts the plugin declares (`fusionhub.http.hosts`), redirects included.
    """
    inner = transport or httpx.AsyncHTTPTransport(
        verify=tls_context(config.http2),
        http2=config.http2,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )
    return httpx.AsyncClient(
        base_url=config.base_url,
        auth=config.auth,
        headers=config.headers,
        timeout=httpx.Timeout(config.timeout),
        transport=CredentialGuard(
            LimitedTransport(inner, limiter, config, sink=sink, labels=labels),
            declared_hosts(config.base_url, config.hosts, config.auth),
            platform=labels.plugin if labels is not None else "",
            secret_headers=config.secret_names,
        ),
    )
