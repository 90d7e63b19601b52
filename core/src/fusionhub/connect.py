"""How a person connects a store, as data a plugin declares in its manifest (`[[connect]]` tables).

Each flow is one of three kinds, and core runs all three (`fusionhub.connecting` runs them,
`fusionhub serve` draws their pages, `fusionhub stores connect` runs them from a terminal):

- `oauth`: the authorization-code flow. The person fills in the flow's `fields` (a shop domain, the
  app's client id and secret); core sends them to `authorize_url` with the query `authorize_query`
  (templates: `{state}`, `{redirect_uri}`, `{scope}`, `{code_challenge}` and any field's
  `{name}`), checks the callback (the platform's signature when `callback_hmac` is set, the `state`,
  the timestamp's age, each `callback_config` value against the config schema), exchanges the code
  at `token_url` and saves the store with its credentials encrypted.
- `client_credentials`: the app's id and secret buy a token at `token_url`, no consent page; core
  renews it the same way when it expires (credential `grant_type = "client_credentials"`).
- `token`: the person pastes a token (and whatever else the fields ask).

Before saving, the flow's `check` capability (a cheap read) runs with the new credentials: a token
that does not work is refused and nothing is saved.
"""

from __future__ import annotations

import re
import string
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fusionhub.capabilities import Capability

__all__ = ["RESERVED_PLACEHOLDERS", "CallbackHmac", "ConnectField", "ConnectFlow", "FlowKind", "placeholders"]

# What core fills into `authorize_query` besides the flow's fields.
RESERVED_PLACEHOLDERS = frozenset({"state", "redirect_uri", "scope", "code_challenge"})
_NAME = r"^[a-z][a-z0-9_]*$"


def placeholders(template: str) -> set[str]:
    """The `{name}`s a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlowKind(StrEnum):
    """How a connect flow gets the store's token."""

    OAUTH = "oauth"  # the authorization-code flow: the platform's consent page, then its callback
    CLIENT_CREDENTIALS = "client_credentials"  # the app's id and secret buy a token (renewed the same way)
    TOKEN = "token"  # noqa: S105 - a kind of flow, not a secret: the person pastes a token


class ConnectField(_Spec):
    """One value the person enters: where it goes (`config` or `credentials`) and how it is shown."""

    name: str = Field(pattern=_NAME, description="the config or credential key the value is saved under")
    into: Literal["config", "credentials"] = Field(default="credentials", description="where the value is saved")
    label: str = Field(min_length=1, description="the form's label")
    help: str | None = Field(default=None, description="what to enter and where to find it")
    secret: bool = Field(default=False, description="shown as a password field, never echoed back")
    required: bool = Field(default=True, description="refused when left empty (unless it has a default)")
    default: str | None = Field(default=None, description="used when left empty")
    pattern: str | None = Field(default=None, description="a regular expression the whole value must match")
    is_list: bool = Field(default=False, description="comma-separated values saved as a list (config only)")

    @model_validator(mode="after")
    def _sane(self) -> ConnectField:
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"field {self.name}: pattern is not a regular expression: {exc}") from None
        if self.is_list and self.into != "config":
            raise ValueError(f"field {self.name}: is_list is for config values")
        return self


class CallbackHmac(_Spec):
    """The platform signs the callback's query: HMAC-SHA256 (hex) with the app's client secret."""

    param: str = Field(default="hmac", description="the callback parameter carrying the hex signature")
    unsigned: list[str] = Field(default_factory=list, description="parameters left out of the signed message")


RFC6749_QUERY = {
    "response_type": "code",
    "client_id": "{client_id}",
    "redirect_uri": "{redirect_uri}",
    "scope": "{scope}",
    "state": "{state}",
}


class ConnectFlow(_Spec):
    """One way to connect a store, shown as one form on the admin's Connect page (`[[connect]]`)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="unique among the plugin's flows; in URLs")
    kind: FlowKind = Field(description="oauth, client_credentials or token")
    title: str = Field(min_length=1, description="the button, e.g. 'Install the app on a shop'")
    description: str | None = Field(default=None, description="shown above the form")
    fields: list[ConnectField] = Field(default_factory=list, description="what the person enters")
    # oauth and client_credentials
    authorize_url: str | None = Field(default=None, description="the consent page; {field} placeholders allowed")
    authorize_query: dict[str, str] = Field(
        default_factory=lambda: dict(RFC6749_QUERY),
        description="the consent URL's query, as templates; PKCE adds code_challenge and its method",
    )
    token_url: str | None = Field(default=None, description="the token endpoint; {field} placeholders allowed")
    token_params: dict[str, str] = Field(default_factory=dict, description="extra fields of the token request")
    client_id: str | None = Field(default=None, description="the field holding the app's OAuth client id")
    client_secret: str | None = Field(default=None, description="the field holding the app's client secret")
    scopes: list[str] | None = Field(default=None, description="unset: every scope the capabilities declare")
    scope_separator: str = Field(default=" ", description="joins the scopes in {scope}")
    pkce: bool = Field(default=False, description="send an S256 code challenge and its verifier (RFC 7636)")
    code_param: str = Field(default="code", description="the callback parameter carrying the code")
    callback_hmac: CallbackHmac | None = Field(default=None, description="the platform signs the callback")
    callback_max_age: float | None = Field(
        default=None, gt=0, description="seconds: refuse a callback whose `timestamp` is older"
    )
    callback_config: dict[str, str] = Field(
        default_factory=dict, description="config key -> the callback parameter it is taken from (checked first)"
    )
    # every kind
    name_from: str | None = Field(default=None, description="the field (or callback config key) naming the store")
    check: Capability | None = Field(default=None, description="a cheap read run with the new credentials first")

    @model_validator(mode="after")
    def _consistent(self) -> ConnectFlow:
        names = {f.name for f in self.fields}
        if len(names) != len(self.fields):
            raise ValueError(f"flow {self.id}: two fields share a name")
        for role in ("client_id", "client_secret"):
            named = getattr(self, role)
            if named is not None and named not in names:
                raise ValueError(f"flow {self.id}: {role} names no field ({named!r})")
        if self.kind is not FlowKind.TOKEN and not self.token_url:
            raise ValueError(f"flow {self.id}: a {self.kind.value} flow needs token_url")
        unnamed = self.client_id is None or self.client_secret is None
        if unnamed and (self.kind is FlowKind.CLIENT_CREDENTIALS or self.callback_hmac is not None):
            raise ValueError(f"flow {self.id}: name the client_id and client_secret fields")
        if self.kind is FlowKind.OAUTH:
            if not self.authorize_url:
                raise ValueError(f"flow {self.id}: an oauth flow needs authorize_url")
            in_query = {p for v in self.authorize_query.values() for p in placeholders(v)}
            used = placeholders(self.authorize_url) | in_query
            unknown = used - names - RESERVED_PLACEHOLDERS - ({"client_id"} if self.client_id else set())
            if unknown:
                raise ValueError(f"flow {self.id}: authorize placeholders name no field: {', '.join(sorted(unknown))}")
            if "state" not in in_query:
                raise ValueError(f"flow {self.id}: authorize_query must carry {{state}}")
        unknown = placeholders(self.token_url or "") - names - set(self.callback_config)
        if unknown:
            raise ValueError(f"flow {self.id}: token_url placeholders name no field: {', '.join(sorted(unknown))}")
        if self.name_from is not None and self.name_from not in names | set(self.callback_config):
            raise ValueError(f"flow {self.id}: name_from names no field")
        return self
