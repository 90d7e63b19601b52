"""A store's credentials go only to the hosts its plugin declares, redirects included.

The declared hosts are the client's base URL host, `HttpConfig.hosts` (patterns: an exact
host or `*.example.com` for its subdomains), the OAuth token endpoint and the token hosts of
the auth flow. A request to any other host that carries a credential — an auth header, a
header or query value holding a known secret, userinfo in the URL — is refused before it is
sent; one without credentials (a signed upload or download URL) goes out as usual.

httpx drops `Authorization` on a cross-origin redirect but keeps every other header (an API
key, a platform's token header). So a credentialed request answered with a redirect to an
undeclared host (or to plain http) is refused at that answer, before anything follows it:
the foreign host receives nothing, and the plugin sees why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from fusionhub.errors import ErrorCategory, FusionHubError
from fusionhub.observability.redaction import scrub

# Headers that carry a credential whatever their value looks like.
AUTH_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


class ForeignHostRefused(FusionHubError):
    """A request would have carried a store's credentials to a host its plugin does not declare."""

    category = ErrorCategory.REFUSED
    default_message = "Refused to send the store's credentials to a host its plugin does not declare."


@dataclass(frozen=True, slots=True)
class HostSet:
    """Exact hosts and `*.suffix` patterns (lower-case), plus the scheme credentials may travel on."""

    exact: frozenset[str]
    suffixes: tuple[str, ...]
    https_only: bool = True

    @classmethod
    def of(cls, patterns: Iterable[str], *, https_only: bool = True) -> HostSet:
        exact: set[str] = set()
        suffixes: list[str] = []
        for pattern in patterns:
            host = pattern.strip().lower().rstrip(".")
            if not host:
                continue
            if host.startswith("*."):
                suffixes.append(host[1:])  # "*.example.com" -> ".example.com": subdomains only
            elif "*" in host:
                raise ValueError(f"host pattern {pattern!r}: only a leading '*.' is allowed")
            else:
                exact.add(host)
        return cls(frozenset(exact), tuple(suffixes), https_only)

    def allows(self, url: httpx.URL) -> bool:
        host = url.host.lower().rstrip(".")
        if self.https_only and url.scheme != "https":
            return False
        return host in self.exact or any(host.endswith(s) and len(host) > len(s) for s in self.suffixes)

    def __str__(self) -> str:
        return ", ".join(sorted(self.exact) + [f"*{s}" for s in self.suffixes]) or "none"


def declared_hosts(base_url: str, hosts: Iterable[str], auth: httpx.Auth | None) -> HostSet:
    """What the plugin declares: the base URL's host, its extra hosts, its auth flow's token hosts."""
    names = [*hosts]
    base = httpx.URL(base_url)
    if base.host:
        names.append(base.host)
    token_url = getattr(auth, "token_url", None)
    if isinstance(token_url, str) and token_url:
        names.append(httpx.URL(token_url).host)
    names.extend(getattr(auth, "hosts", None) or ())
    # A plugin speaking plain http (a local test server) declares it by its base URL.
    return HostSet.of(names, https_only=base.scheme != "http")


def undeclared_hosts(allowed: Iterable[str], client: HostSet) -> list[str]:
    """The hosts (and patterns) a client would send credentials to that `allowed` does not cover."""
    declared = HostSet.of(allowed, https_only=False)
    outside = [h for h in sorted(client.exact) if not declared.allows(httpx.URL(f"https://{h}/"))]
    outside += [f"*{s}" for s in client.suffixes if not any(s.endswith(d) for d in declared.suffixes)]
    return outside


def carried_credentials(request: httpx.Request, secret_headers: Iterable[str] = ()) -> list[str]:
    """Where `request` carries a credential (header and parameter names, never values)."""
    named = AUTH_HEADERS | {h.lower() for h in secret_headers}
    found = [
        f"header {name}"
        for name, value in request.headers.items()
        if value and (name.lower() in named or scrub(value) != value)
    ]
    found += [f"query parameter {name}" for name, value in request.url.params.multi_items() if scrub(value) != value]
    if request.url.userinfo:
        found.append("URL userinfo")
    return found


class CredentialGuard(httpx.AsyncBaseTransport):
    """Refuses, before sending, a request that carries credentials to an undeclared host."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, hosts: HostSet, *, platform: str = "", secret_headers: Iterable[str] = ()
    ) -> None:
        self._inner = inner
        self.hosts = hosts
        self._platform = platform
        self._secret_headers = tuple(secret_headers)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Only a request or redirect leaving the declared hosts is inspected: the usual path costs a set lookup.
        if not self.hosts.allows(request.url):
            carried = carried_credentials(request, self._secret_headers)
            if carried:
                raise self._refusal(request.url, carried, "")
        response = await self._inner.handle_async_request(request)
        if response.has_redirect_location:
            target = request.url.join(response.headers["location"])
            if not self.hosts.allows(target):
                carried = carried_credentials(request, self._secret_headers)
                if carried:
                    await response.aclose()
                    raise self._refusal(target, carried, f"{request.url.host} redirected a request carrying them to ")
        return response

    def _refusal(self, url: httpx.URL, carried: list[str], how: str) -> ForeignHostRefused:
        who = f"the {self._platform} plugin" if self._platform else "the plugin"
        return ForeignHostRefused(
            f"refused to send the store's credentials ({', '.join(carried)}): {how}"
            f"{url.scheme}://{url.host} is not a host {who} declares ({self.hosts}); nothing was sent there. "
            "If the platform really serves from that host, the plugin must declare it in HttpConfig.hosts",
            platform=self._platform or None,
            details={"host": url.host, "carried": carried},
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
