"""Resource subscriptions, and their deliveries: unsigned form posts verified by a secret in the URL.

Gumroad signs nothing. Each store has a `webhook_secret` credential (at least 32 characters, e.g.
`secrets.token_urlsafe(32)`); subscribing puts it into the post_url as `?secret=...`, and a
delivery counts only when the URL it came to carries that secret (constant-time compare). The
secret never leaves the credentials otherwise: callback URLs read back are shown without it.

Gumroad retries a delivery our host did not accept (after 60 s, 180 s, 600 s). A retry is the
same sale or refund again, so the event's delivery id is built from what names the event (the
sale id, the subscription and its time), never from the moment it arrived: the hub keeps one event
per (store, delivery id), in every process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from fusionhub.plugin import (
    AuthError,
    Event,
    EventType,
    Store,
    StoreContext,
    ValidationError,
    WebhookSubscription,
    WebhookSubscriptions,
    hookimpl,
    meta,
    parse_timestamp,
)
from fusionhub.plugin import params as p
from fusionhub_gumroad.client import Json, call, record
from fusionhub_gumroad.endpoints import SLUG, path

SECRET_FIELD = "webhook_secret"  # noqa: S105 - the store credential's name
SECRET_PARAM = "secret"  # noqa: S105 - its query parameter's name in the post_url
MIN_SECRET_LENGTH = 32
# Each resource: its event type, and the payload fields that name one event (the first is required).
RESOURCES: dict[str, tuple[EventType, tuple[str, ...]]] = {
    "sale": (EventType.ORDER_CREATED, ("sale_id",)),
    # A refund ping names the sale, not the refund: a partial and the final full refund differ by `refunded`.
    "refund": (EventType.REFUND_CREATED, ("sale_id", "refunded")),
    "dispute": (EventType.OTHER, ("sale_id",)),
    "dispute_won": (EventType.OTHER, ("sale_id",)),
    "cancellation": (EventType.OTHER, ("subscription_id", "cancelled_at")),
    "subscription_updated": (EventType.OTHER, ("subscription_id", "effective_as_of", "type")),
    "subscription_ended": (EventType.OTHER, ("subscription_id", "ended_at")),
    "subscription_restarted": (EventType.OTHER, ("subscription_id", "restarted_at")),
}
# When the event happened, per resource.
_WHEN = {"sale": "sale_timestamp", "refund": "sale_timestamp", "cancellation": "cancelled_at"}
_WHEN |= {"subscription_ended": "ended_at", "subscription_restarted": "restarted_at"}
_WHEN |= {"subscription_updated": "effective_as_of"}


def _refuse(loc: str, msg: str) -> ValidationError:
    return ValidationError(errors=[{"loc": loc, "msg": msg}], platform=SLUG)


def webhook_secret(credentials: Mapping[str, str]) -> str:
    """The store's webhook secret; AuthError (saying how to set one) when it is missing or guessable."""
    secret = credentials.get(SECRET_FIELD) or ""
    if len(secret) < MIN_SECRET_LENGTH:
        raise AuthError(
            f"Gumroad does not sign webhooks, so each store needs a {SECRET_FIELD} credential of at least "
            f"{MIN_SECRET_LENGTH} characters (e.g. secrets.token_urlsafe(32)) to put into its post_url and check "
            "deliveries against: set it on the store, then subscribe again.",
            platform=SLUG,
        )
    return secret


def _named(pair: str) -> str:
    return unquote_plus(pair.split("=", 1)[0])


def with_secret(callback_url: str, secret: str) -> str:
    """The post_url Gumroad is given: the host's callback URL, its query as it was, plus the store's secret."""
    parts = urlsplit(callback_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _refuse("params.callback_url", "an absolute http(s) URL of the host's webhook receiver")
    if any(_named(pair) == SECRET_PARAM for pair in parts.query.split("&") if pair):
        raise _refuse("params.callback_url", f"must not carry a '{SECRET_PARAM}' parameter: the plugin adds it")
    query = "&".join(filter(None, [parts.query, urlencode({SECRET_PARAM: secret})]))
    return urlunsplit(parts._replace(query=query))


def without_secret(post_url: str) -> str:
    """A post_url as the host gave it: the secret taken out, the rest untouched."""
    parts = urlsplit(post_url)
    query = "&".join(pair for pair in parts.query.split("&") if pair and _named(pair) != SECRET_PARAM)
    return urlunsplit(parts._replace(query=query))


def _subscription(raw: Json) -> WebhookSubscription:
    return WebhookSubscription(
        id=str(raw["id"]), topic=str(raw.get("resource_name")), callback_url=without_secret(str(raw.get("post_url")))
    )


def _topics(params: p.WebhooksParams) -> list[str]:
    for i, topic in enumerate(params.topics):
        if topic not in RESOURCES:
            raise _refuse(f"params.topics.{i}", f"not a Gumroad resource: one of {', '.join(RESOURCES)}")
    return list(dict.fromkeys(params.topics)) or list(RESOURCES)


async def _listed(ctx: StoreContext, topics: list[str]) -> list[Json]:
    found: list[Json] = []
    for topic in topics:  # Gumroad lists one resource at a time
        body = await call(
            ctx,
            "GET",
            "resource_subscriptions",
            operation="GET /resource_subscriptions",
            params={"resource_name": topic},
        )
        found += [r for r in body.get("resource_subscriptions") or [] if isinstance(r, dict)]
    return found


async def _subscribe(ctx: StoreContext, topics: list[str], callback_url: str) -> list[Json]:
    """Each topic subscribed once to this post_url: ones already there are kept, not made again."""
    post_url = with_secret(callback_url, webhook_secret(ctx.credentials))
    found = await _listed(ctx, topics)
    there = {r.get("resource_name") for r in found if r.get("post_url") == post_url}
    for topic in topics:
        if topic in there:
            continue
        body = await call(  # each PUT makes a new subscription: never resent by core
            ctx,
            "PUT",
            "resource_subscriptions",
            operation="PUT /resource_subscriptions",
            data={"resource_name": topic, "post_url": post_url},
            extensions=meta(idempotent=False),
        )
        found.append(record(body, "resource_subscription", "PUT /resource_subscriptions"))
    return found


@hookimpl
async def webhooks(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions:
    """The subscriptions of the topics named (every resource when none), after the action."""
    topics = _topics(params)
    if params.action is p.WebhookAction.SUBSCRIBE:
        assert params.callback_url is not None  # WebhooksParams requires it for subscribe
        found = await _subscribe(ctx, topics, params.callback_url)
    else:
        if params.action is p.WebhookAction.UNSUBSCRIBE:
            assert params.subscription_id is not None
            where = path("resource_subscriptions", params.subscription_id)
            await call(ctx, "DELETE", where, operation="DELETE /resource_subscriptions/:id")
        found = await _listed(ctx, topics)
    return WebhookSubscriptions(subscriptions=[_subscription(r) for r in found])


# --- deliveries -------------------------------------------------------------------------------


def check_secret(url: str | None, credentials: Mapping[str, str]) -> None:
    """AuthError unless the URL a delivery came to carries exactly the store's secret."""
    expected = webhook_secret(credentials)
    given = [v for k, v in parse_qsl(urlsplit(url or "").query, keep_blank_values=True) if k == SECRET_PARAM]
    if len(given) != 1 or not hmac.compare_digest(given[0].encode(), expected.encode()):
        raise AuthError(
            "Gumroad delivery refused: the URL it came to lacks this store's webhook secret (forged, or the "
            "host did not pass the request URL to events.ingest(url=...))",
            platform=SLUG,
        )


def read_body(headers: Mapping[str, str], body: bytes) -> Json:
    """A form post (Gumroad's resource subscriptions) or JSON; a field sent twice keeps every value."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("body", "not UTF-8") from None
    if headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(text)
        except ValueError:
            raise _refuse("body", "not JSON") from None
        if not isinstance(data, dict):
            raise _refuse("body", "not a JSON object")
        return data
    fields: dict[str, Any] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        held = fields.get(name)
        fields[name] = value if held is None else [*(held if isinstance(held, list) else [held]), value]
    return fields


def _when(raw: Any) -> datetime | None:
    seconds = parse_timestamp(raw) if isinstance(raw, str) else None
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds is not None else None


def event(data: Json) -> Event:
    # The account-wide Ping (Settings > Advanced) posts sales without a resource_name.
    resource = str(data.get("resource_name") or ("sale" if data.get("sale_id") else ""))
    if not resource:
        raise _refuse("body.resource_name", "missing: not a Gumroad delivery")
    kind, names = RESOURCES.get(resource, (EventType.OTHER, ()))
    if names and not data.get(names[0]):
        raise _refuse(f"body.{names[0]}", f"a {resource} delivery names its {names[0]}")
    if names:
        delivery = ":".join([resource, *(str(data.get(n) or "") for n in names)])
    else:  # a resource this plugin does not know: the body itself names it
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]
        delivery = f"{resource}:{digest}"
    return Event(
        platform=SLUG,
        type=kind,
        delivery_id=delivery,
        resource_id=str(data.get(names[0])) if names else None,
        topic=resource,
        occurred_at=_when(data.get(_WHEN.get(resource, ""))),
        payload=data,
    )


@hookimpl
async def parse_webhook(store: Store, headers: Mapping[str, str], body: bytes, url: str | None) -> list[Event]:
    check_secret(url, store.credentials)  # first: nothing of an unauthenticated post is read
    return [event(read_body(headers, body))]
