"""Running the connect flows a manifest declares (`fusionhub.connect`): the same steps for the
admin's pages and for `fusionhub stores connect`.

- `read_fields` checks what the person entered (each problem names its field);
- `begin` makes the consent URL of an `oauth` flow and the `PendingConnect` to keep server-side;
- `finish` checks the callback (signature, state, age, the values it carries) before anything is
  sent, exchanges the code, runs the flow's check and saves the store;
- `submit` runs a `client_credentials` or `token` flow in one step.

Every refusal is an AuthError or ValidationError saying what was wrong; nothing is saved then.
Token requests go through the runtime's transport for the platform (its sandbox under
FUSIONHUB_SANDBOX), to hosts the manifest declares.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from fusionhub.authorize import (
    AuthorizationRequest,
    QueryHmac,
    check_callback,
    code_challenge,
    exchange_code,
    new_state,
    new_verifier,
)
from fusionhub.capabilities import spec_of
from fusionhub.connect import ConnectFlow, FlowKind
from fusionhub.contracts import PluginManifest
from fusionhub.credentials import Credentials
from fusionhub.errors import AuthError, FusionHubError, NotFound, ValidationError
from fusionhub.http.hosts import HostSet, undeclared_hosts
from fusionhub.observability.redaction import register_secret
from fusionhub.stores import Store
from fusionhub.stores.checks import config_errors
from fusionhub.webhooks import check_timestamp

if TYPE_CHECKING:
    from fusionhub.runtime import Runtime
    from fusionhub.stores.service import StoreRecord

__all__ = ["PENDING_SECONDS", "PendingConnect", "begin", "finish", "flow_of", "read_fields", "submit"]

PENDING_SECONDS = 600.0  # a consent not completed within 10 minutes must start again
CALLBACK_SKEW = 300.0  # a callback timestamp this far in the future is still accepted
CLIENT_CREDENTIALS = "client_credentials"


def flow_of(manifest: PluginManifest, flow_id: str) -> ConnectFlow:
    for flow in manifest.connect:
        if flow.id == flow_id:
            return flow
    known = ", ".join(f.id for f in manifest.connect) or "none"
    raise ValidationError(errors=[{"loc": "flow", "msg": f"{manifest.slug} has no connect flow {flow_id!r} ({known})"}])


def _schema_errors(manifest: PluginManifest, config: Mapping[str, Any], where: str) -> list[dict[str, str]]:
    """The config schema's complaints about these keys alone (the rest may come later)."""
    errors = [e for e in config_errors(manifest, config) if e["msg"] != "required"]
    return [{"loc": e["loc"].replace("config.", where, 1), "msg": e["msg"]} for e in errors]


def read_fields(manifest: PluginManifest, flow: ConnectFlow, form: Mapping[str, Any]) -> dict[str, Any]:
    """The flow's fields from a form: required ones present, patterns matched, config values valid."""
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for spec in flow.fields:
        raw = form.get(spec.name)
        text = (raw if isinstance(raw, str) else "").strip() or (spec.default or "")
        if not text:
            if spec.required:
                errors.append({"loc": spec.name, "msg": f"required: {spec.label}"})
            continue
        if spec.secret:
            register_secret(text)  # scrubbed from any log line or message from here on
        if spec.pattern is not None and not re.fullmatch(spec.pattern, text):
            shown = "(hidden)" if spec.secret else repr(text[:60])
            errors.append({"loc": spec.name, "msg": f"{shown} is not {spec.help or 'of the expected form'}"})
            continue
        values[spec.name] = [v.strip() for v in text.split(",") if v.strip()] if spec.is_list else text
        if spec.into == "config" and text.isdigit() and _integer_only(manifest, spec.name):
            values[spec.name] = int(text)  # a form sends text; the config schema wants the number
    config = {s.name: values[s.name] for s in flow.fields if s.into == "config" and s.name in values}
    errors += _schema_errors(manifest, config, "")
    if errors:
        raise ValidationError(errors=errors, platform=manifest.slug)
    return values


def _integer_only(manifest: PluginManifest, key: str) -> bool:
    declared = manifest.config_schema.get("properties", {}).get(key, {}).get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    return "integer" in types and "string" not in types


def _split(flow: ConnectFlow, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    config = {s.name: values[s.name] for s in flow.fields if s.into == "config" and s.name in values}
    credentials = {s.name: str(values[s.name]) for s in flow.fields if s.into == "credentials" and s.name in values}
    return config, credentials


@dataclass(frozen=True, slots=True)
class PendingConnect:
    """A started `oauth` flow, kept server-side (never in a cookie: it holds the app's secret)."""

    platform: str
    flow: ConnectFlow
    values: dict[str, Any] = field(repr=False)
    request: AuthorizationRequest
    name: str | None
    started_at: float

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def state(self) -> str:
        return self.request.state


def begin(
    manifest: PluginManifest,
    flow: ConnectFlow,
    values: Mapping[str, Any],
    redirect_uri: str,
    *,
    now: float,
    name: str | None = None,
) -> PendingConnect:
    """The consent URL for an `oauth` flow, with a fresh state (and PKCE verifier when declared)."""
    if flow.kind is not FlowKind.OAUTH or flow.authorize_url is None:
        raise ValidationError(errors=[{"loc": "flow", "msg": f"{flow.id} is a {flow.kind.value} flow: submit it"}])
    state = new_state()
    verifier = new_verifier() if flow.pkce else None
    scopes = tuple(flow.scopes if flow.scopes is not None else manifest.scopes())
    client_id = str(values.get(flow.client_id, "")) if flow.client_id else ""
    filled = {str(k): ",".join(v) if isinstance(v, list) else str(v) for k, v in values.items()}
    filled |= {"state": state, "redirect_uri": redirect_uri, "scope": flow.scope_separator.join(scopes)}
    filled |= {"client_id": client_id} if flow.client_id else {}
    query = {key: template.format_map(filled) for key, template in flow.authorize_query.items()}
    if verifier is not None:
        query |= {"code_challenge": code_challenge(verifier), "code_challenge_method": "S256"}
    url = f"{flow.authorize_url.format_map(filled)}?{urlencode(query)}"
    request = AuthorizationRequest(url, state, verifier, client_id, redirect_uri, scopes)
    return PendingConnect(manifest.slug, flow, dict(values), request, name, now)


def _check_callback(
    manifest: PluginManifest, pending: PendingConnect, query: Mapping[str, str], now: float
) -> tuple[str, dict[str, Any]]:
    """The code and the config values the callback carries, once everything about it holds."""
    flow, slug = pending.flow, manifest.slug
    if now - pending.started_at > PENDING_SECONDS:
        raise AuthError("this connection was started over 10 minutes ago: start it again", platform=slug)
    if "error" not in query and flow.callback_hmac is not None:
        secret = str(pending.values.get(flow.client_secret or "", ""))
        signature = QueryHmac(param=flow.callback_hmac.param, unsigned=tuple(flow.callback_hmac.unsigned))
        signature.verify(secret, query, platform=slug)
    code = check_callback({**query, "code": query.get(flow.code_param, "")}, pending.state, platform=slug)
    if flow.callback_max_age is not None:
        what = "the OAuth callback"
        check_timestamp(
            query.get("timestamp"), now, flow.callback_max_age, future=CALLBACK_SKEW, what=what, platform=slug
        )
    carried: dict[str, Any] = {}
    for key, param in flow.callback_config.items():
        value = query.get(param, "")
        if not value:
            raise AuthError(f"the OAuth callback carries no {param}", platform=slug)
        entered = pending.values.get(key)
        if entered is not None and entered != value:
            raise AuthError(
                f"the callback's {param} {value!r} is not the {key} this connection started for", platform=slug
            )
        carried[key] = value
    problems = _schema_errors(manifest, carried, "callback.")
    if problems:  # before any request: a foreign host here would receive the app's secret
        raise AuthError(
            f"the OAuth callback's values are refused: {problems[0]['loc']}: {problems[0]['msg']}", platform=slug
        )
    return code, carried


def _client(runtime: Runtime, manifest: PluginManifest, config: Mapping[str, Any], url: str) -> httpx.AsyncClient:
    if manifest.hosts:
        outside = undeclared_hosts(manifest.hosts, HostSet.of([httpx.URL(url).host]))
        if outside:
            raise AuthError(f"the token endpoint {outside[0]} is outside the plugin's hosts", platform=manifest.slug)
    transport = runtime.transport_for(Store(manifest.slug, config=dict(config))) if runtime.transport_for else None
    return httpx.AsyncClient(transport=transport, timeout=30.0)


def _token_form(flow: ConnectFlow, values: Mapping[str, Any], base: Mapping[str, str]) -> dict[str, str]:
    form = dict(base)
    if flow.client_secret is not None:
        form["client_secret"] = str(values.get(flow.client_secret, ""))
    return form | flow.token_params


def _filled(template: str, values: Mapping[str, Any]) -> str:
    return template.format_map({k: str(v) for k, v in values.items()})


async def finish(runtime: Runtime, pending: PendingConnect, query: Mapping[str, str]) -> StoreRecord:
    """Check the platform's callback, exchange its code and save the store; AuthError when refused."""
    manifest = runtime.hub.manifest(pending.platform)
    flow = pending.flow
    code, carried = _check_callback(manifest, pending, query, runtime.clock.now())
    config, credentials = _split(flow, pending.values)
    config |= carried
    assert flow.token_url is not None
    token_url = _filled(flow.token_url, {**pending.values, **config})
    form = _token_form(flow, pending.values, pending.request.code_form(code))
    async with _client(runtime, manifest, config, token_url) as http:
        tokens = await exchange_code(http, token_url, form, clock=runtime.clock, platform=manifest.slug)
    credentials |= {k: v for k, v in tokens.as_credentials().items() if v is not None}
    return await _save(runtime, manifest, flow, config, credentials, pending.name, pending.values)


async def submit(
    runtime: Runtime, platform: str, flow: ConnectFlow, values: Mapping[str, Any], *, name: str | None = None
) -> StoreRecord:
    """A `client_credentials` or `token` flow: get (or take) the token, check it, save the store."""
    manifest = runtime.hub.manifest(platform)
    config, credentials = _split(flow, values)
    if flow.kind is FlowKind.OAUTH:
        raise ValidationError(errors=[{"loc": "flow", "msg": f"{flow.id} sends you to {platform} first: begin it"}])
    if flow.kind is FlowKind.CLIENT_CREDENTIALS:
        assert flow.token_url is not None and flow.client_id is not None
        token_url = _filled(flow.token_url, values)
        base = {"grant_type": CLIENT_CREDENTIALS, "client_id": str(values[flow.client_id])}
        async with _client(runtime, manifest, config, token_url) as http:
            tokens = await exchange_code(
                http, token_url, _token_form(flow, values, base), clock=runtime.clock, platform=platform
            )
        credentials |= {k: v for k, v in tokens.as_credentials().items() if v is not None}
        credentials["grant_type"] = CLIENT_CREDENTIALS  # how core renews it (fusionhub.http.auth)
    return await _save(runtime, manifest, flow, config, credentials, name, values)


def _store_name(flow: ConnectFlow, platform: str, values: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    chosen = values.get(flow.name_from) or config.get(flow.name_from) if flow.name_from else None
    text = str(chosen[0] if isinstance(chosen, list) else chosen) if chosen else platform
    return text.split(".", 1)[0] if "." in text and not text.replace(".", "").isdigit() else text


async def _save(
    runtime: Runtime,
    manifest: PluginManifest,
    flow: ConnectFlow,
    config: dict[str, Any],
    credentials: dict[str, str],
    name: str | None,
    values: Mapping[str, Any],
) -> StoreRecord:
    name = (name or "").strip() or _store_name(flow, manifest.slug, values, config)
    store = Store(manifest.slug, Credentials(credentials), config, id=str(uuid.uuid4()), name=name)
    if flow.check is not None:
        await _check(runtime, store, flow)
    again = await _same_store(runtime, manifest.slug, flow, name, config)
    if again is not None:  # reconnecting (a reinstall, a yearly re-authorization): new credentials, same store
        await runtime.stores.update_config(again.id, {**again.config, **config})
        return await runtime.stores.update_credentials(again.id, store.credentials.reveal(), merge=True)
    return await runtime.stores.add(name, manifest.slug, store.credentials.reveal(), config, store_id=store.id)


async def _same_store(
    runtime: Runtime, platform: str, flow: ConnectFlow, name: str, config: Mapping[str, Any]
) -> StoreRecord | None:
    """The saved store `name` when it is this very account (same platform, same `name_from` config
    value: the shop, the seller); None when there is none. Another store of that name is a conflict
    (`stores.add` says so)."""
    try:
        record = await runtime.stores.get(name)
    except NotFound:
        return None
    key = flow.name_from
    if key is not None and record.platform == platform and key in config and record.config.get(key) == config[key]:
        return record
    return None


async def _check(runtime: Runtime, store: Store, flow: ConnectFlow) -> None:
    """The flow's cheap read with the new credentials; AuthError (nothing saved) when it fails."""
    assert flow.check is not None
    transport = runtime.transport_for(store) if runtime.transport_for else None
    try:
        runtime.hub.connect(store, transport=transport)
        await runtime.hub.execute(store, flow.check, {"limit": 1} if "limit" in _params(flow) else {})
    except FusionHubError as exc:
        raise AuthError(
            f"{store.platform} refused the new credentials ({flow.check.value}): {exc.user_message}",
            platform=store.platform,
        ) from None
    finally:
        await runtime.hub.disconnect(store.id)


def _params(flow: ConnectFlow) -> set[str]:
    assert flow.check is not None
    return set(spec_of(flow.check).params.model_fields)
