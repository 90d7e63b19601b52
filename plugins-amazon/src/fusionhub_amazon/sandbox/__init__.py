"""A stateful, in-process fake of the Selling Partner API on the fusionhub clock, on core's sandbox toolkit.

Real response shapes and status codes; Login with Amazon's token endpoint (refresh-token,
client-credentials and authorization-code grants); Seller Central's consent page on every region's
host (`GET .../apps/authorize/consent?application_id&state&redirect_uri`; POSTing `approve=yes` to it
is the seller confirming: a 302 to the redirect URI with `spapi_oauth_code`, `state` and
`selling_partner_id`); a bucket per operation and seller-app pair
answering 429 QuotaExceeded with `x-amzn-RateLimit-Limit`; regional hosts (a call to another
region's host is refused as on Amazon); feed documents on signed "S3" URLs valid 5 minutes;
JSON_LISTINGS_FEED feeds that queue, process for virtual minutes and leave a gzipped processing
report with issues for bad attributes; orders that arrive and get paid as time passes; faults
(`sandbox.faults.fail(503, on="getListingsItem")`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from fusionhub.plugin import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    Capability,
    Clock,
    Faults,
    RouteTable,
    SandboxBase,
    VirtualClock,
    consent_answer,
    consent_page,
    form_fields,
    redirect_to,
    refused_page,
)
from fusionhub_amazon.endpoints import API_HOSTS, MARKETPLACES, OPERATIONS, SANDBOX_HOSTS, TOKEN_HOST, Operation
from fusionhub_amazon.ratelimit import RATES
from fusionhub_amazon.sandbox import deliveries
from fusionhub_amazon.sandbox.edits import process_feed
from fusionhub_amazon.sandbox.limits import OperationBuckets
from fusionhub_amazon.sandbox.routes import HANDLERS, error, reply
from fusionhub_amazon.sandbox.world import Document, Feed, World, parse_iso

TOKEN_PATH = "/auth/o2/token"  # noqa: S105 (a path)
S3_HOST = "tortuga-prod-na.s3-external-1.amazonaws.com"
URL_LIFETIME = 300.0  # a feed document's signed URL is valid 5 minutes
GRANTLESS_SCOPES = {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}
APPLICATION_ID = "amzn1.sp.solution.fhsbx-0c4e1f7a"
CONSENT_PATH = "/apps/authorize/consent"
CONSENT_HOSTS = frozenset(m[3] for m in MARKETPLACES.values())  # each region's Seller Central
PENDING_SECONDS = 1800.0  # an order waits this long for payment before it is UNSHIPPED


@dataclass
class Grant:
    client_id: str
    expires_at: float
    scope: str | None = None  # a grantless token's scope; None: the seller's token


def _missing(method: str, path: str, allowed: tuple[str, ...]) -> httpx.Response:
    return error(404 if not allowed else 405, "NotFound", f"No route for {method} {path}.")


def _fault(status: int, message: str) -> httpx.Response:
    code = {429: "QuotaExceeded", 500: "InternalFailure", 503: "ServiceUnavailable"}.get(status, "InvalidInput")
    return error(status, code, message)


ROUTES = RouteTable([(op.method, op.path, op) for op in OPERATIONS.values()], missing=_missing)


class AmazonSandbox(SandboxBase):
    slug = "amazon-sc"
    transient = frozenset({"limits"})  # its operation buckets hold code; per process, as the toolkit's bucket

    def __init__(
        self,
        clock: Clock,
        *,
        listings: int = 6,
        orders: int = 3,
        fba: int = 2,
        seller_id: str = "A2SANDBOXSELLER1",
        marketplace: str = "ATVPDKIKX0DER",
        queue_seconds: float | None = None,
        processing_seconds: float | None = None,
        order_every: float | None = None,
        token_ttl: float = 3600.0,
        gzip_reports: bool = True,
    ) -> None:
        super().__init__(clock, faults=Faults(error=_fault))
        self.limits = OperationBuckets(clock, RATES, key=self._counted_by)
        region, _, currency, _ = MARKETPLACES[marketplace]
        self.region = region
        self.world = World(seller_id, marketplace, currency)
        # Feeds take minutes on Amazon (5-30): so they do on a virtual clock; on a wall clock
        # (`fusionhub demo`) a few seconds, so a demo does not wait a quarter of an hour.
        virtual = isinstance(clock, VirtualClock)
        self.queue_seconds = queue_seconds if queue_seconds is not None else (60.0 if virtual else 1.0)
        self.processing_seconds = processing_seconds if processing_seconds is not None else (840.0 if virtual else 2.0)
        self.gzip_reports = gzip_reports
        self.order_every, self.token_ttl = order_every, token_ttl
        self._next_order = clock.now() + order_every if order_every else None
        self.apps: dict[str, str] = {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token → client id (LWA does not rotate them)
        self.codes: dict[str, tuple[str, str]] = {}  # spapi_oauth_code → (client id, redirect uri)
        self.refreshes = 0
        self._signing_key = secrets.token_hex(16)
        self._refresh_token = "Atzr|" + SANDBOX_REFRESH_TOKEN
        self.refresh_tokens[self._refresh_token] = SANDBOX_CLIENT_ID
        self._access_token = "Atza|" + SANDBOX_ACCESS_TOKEN
        self.access_tokens[self._access_token] = Grant(SANDBOX_CLIENT_ID, clock.now() + token_ttl)
        self._seed(listings, orders, fba)

    # --- the Sandbox protocol ----------------------------------------------------------------

    @property
    def throttled(self) -> int:
        return self.limits.throttled

    def credentials(self) -> dict[str, str]:
        return {
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "refresh_token": self._refresh_token,
            "access_token": self._access_token,
            "expires_at": repr(self.access_tokens[self._access_token].expires_at),
        }

    def store_config(self) -> dict[str, Any]:
        return {
            "seller_id": self.world.seller_id,
            "marketplace_ids": [self.world.marketplace],
            "application_id": APPLICATION_ID,
        }

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        skus = sorted(self.world.listings)
        sku = skus[0] if skus else None
        unshipped = [o for o in self.world.orders.values() if o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"]
        order = next(iter(self.world.orders.values()), None)
        offer = {"price": {"amount": "21.00", "currency": self.world.currency}}
        samples: dict[Capability, dict[str, Any] | None] = {
            Capability.LIST_PRODUCTS: {"limit": 2},
            Capability.GET_PRODUCT: {"product_id": sku} if sku else None,
            Capability.CREATE_PRODUCT: {
                "product": {
                    "title": "Stoneware mug, 350 ml",
                    "product_type": "HOME",
                    "vendor": "Sandbox Goods",
                    "variants": [{"sku": "MUG-NEW-1", **offer, "inventory_quantity": 3}],
                }
            },
            Capability.UPDATE_PRODUCT: {"product_id": sku, "changes": {"title": "Renamed listing"}} if sku else None,
            Capability.DELETE_PRODUCT: {"product_id": sku, "permanent": True} if sku else None,
            Capability.BULK_UPDATE: {"items": [{"product_id": s, "changes": offer} for s in skus[:3]]}
            if skus
            else None,
            Capability.SYNC_INVENTORY: {"levels": [{"sku": s, "quantity": 7} for s in skus[:2]]} if skus else None,
            Capability.GET_INVENTORY: {"skus": skus[:3]} if skus else None,
            Capability.UPDATE_VARIANT_INVENTORY: {"target": {"sku": sku, "quantity": 4}} if sku else None,
            Capability.LIST_ORDERS: {"limit": 2},
            Capability.GET_ORDER: {"order_id": order["orderId"]} if order else None,
            Capability.UPDATE_ORDER_STATUS: {
                "order_id": unshipped[0]["orderId"],
                "action": "ship",
                "tracking": {"number": "1Z999AA10123456784", "carrier": "UPS"},
            }
            if unshipped
            else None,
            Capability.PROCESS_REFUND: None,
            Capability.WEBHOOKS: {
                "action": "subscribe",
                "topics": ["ORDER_CHANGE"],
                "callback_url": "arn:aws:sqs:us-east-1:123456789012:fusionhub-notifications",
            },
            Capability.BULK_OPERATIONS: {
                "kind": "update_products",
                "items": [{"product_id": s, "changes": {"variants": [{"inventory_quantity": 9}]}} for s in skus[:2]],
            }
            if skus
            else None,
        }
        return samples[Capability(capability)]

    # --- controls for tests --------------------------------------------------------------------

    def add_app(self) -> dict[str, str]:
        """Authorize one more app for the seller: its credentials (its own buckets, as on Amazon)."""
        client_id, secret = f"amzn1.application-oa2-client.{secrets.token_hex(8)}", secrets.token_hex(16)
        self.apps[client_id] = secret
        refresh = "Atzr|" + secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = client_id
        return {"client_id": client_id, "client_secret": secret, "refresh_token": refresh}

    def expire_tokens(self) -> None:
        for grant in self.access_tokens.values():
            grant.expires_at = 0.0

    def authorize(self, url: str, *, selling_partner_id: str | None = None) -> dict[str, str]:
        """What the browser brings back after the seller consents in Seller Central: the callback's query."""
        params = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        if not params.get("application_id") or not params.get("state"):
            raise ValueError("consent: application_id and state are required")
        code = secrets.token_urlsafe(16)
        self.codes[code] = (params["application_id"], params.get("redirect_uri", ""))
        return {
            "spapi_oauth_code": code,
            "state": params["state"],
            "selling_partner_id": selling_partner_id or self.world.seller_id,
        }

    def notification(self, kind: str, resource: str, *, application_id: str = APPLICATION_ID, **extra: Any) -> bytes:
        """An SQS message body of notification `kind` about `resource` (an order id, SKU or feed id)."""
        world = self.world
        body = deliveries.payload(kind, world.seller_id, world.marketplace, resource, **extra)
        return json.dumps(deliveries.envelope(kind, body, self.clock.now(), application_id)).encode()

    def new_document(self, content_type: str) -> Document:
        document = Document(f"amzn1.tortuga.4.na.{secrets.token_hex(12)}", content_type)
        self.world.documents[document.document_id] = document
        return document

    def document_url(self, document_id: str) -> str:
        issued = f"{self.clock.now():.3f}"
        signature = hashlib.sha256(f"{self._signing_key}:{document_id}:{issued}".encode()).hexdigest()
        return (
            f"https://{S3_HOST}/NinetyDays/{document_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Date={issued}&X-Amz-Expires={int(URL_LIFETIME)}&X-Amz-Signature={signature}"
        )

    def submit_feed(self, document: Document, marketplace_ids: list[str]) -> Feed:
        now = self.clock.now()
        queued_until = now + self.queue_seconds
        feed = Feed(
            feed_id=str(50_000_000 + self.world.next_id()),
            feed_type="JSON_LISTINGS_FEED",
            marketplace_ids=marketplace_ids,
            document_id=document.document_id,
            created=now,
            queued_until=queued_until,
            done_at=queued_until + self.processing_seconds,
        )
        self.world.feeds[feed.feed_id] = feed
        return feed

    def uploaded_documents(self) -> list[bytes]:
        """Every feed document the plugin uploaded (for schema checks)."""
        return [
            d.content for d in self.world.documents.values() if d.content is not None and d.content_type != "report"
        ]

    def advance_world(self) -> None:
        """Feeds move through IN_QUEUE, IN_PROGRESS and DONE; orders arrive and get paid."""
        now = self.clock.now()
        for feed in self.world.feeds.values():
            if feed.status == "IN_QUEUE" and now >= feed.queued_until:
                feed.status = "IN_PROGRESS"
            if feed.status == "IN_PROGRESS" and now >= feed.done_at:
                content = self.world.documents[feed.document_id].content or b""
                feed.status, report = process_feed(self.world, content, feed.done_at)
                result = self.new_document("report")
                raw = reply(200, report).content
                result.content, result.gzip = (gzip.compress(raw), True) if self.gzip_reports else (raw, False)
                feed.result_document_id = result.document_id
        while self._next_order is not None and self.order_every and self._next_order <= now:
            self.world.add_order(self._next_order, status="PENDING")
            self._next_order += self.order_every
        for order in self.world.orders.values():
            fulfillment = order["fulfillment"]
            paid_at = self._created(order) + PENDING_SECONDS
            if fulfillment["fulfillmentStatus"] == "PENDING" and paid_at <= now:
                fulfillment["fulfillmentStatus"] = "UNSHIPPED"
                self.world.touch_order(order, paid_at)

    @staticmethod
    def _created(order: dict[str, Any]) -> float:
        return parse_iso(order["createdTime"])

    # --- the wire --------------------------------------------------------------------------------

    def _seed(self, listings: int, orders: int, fba: int) -> None:
        start = self.clock.now() - 86_400
        for i in range(listings):
            self.world.add_listing(f"SKU-{i + 1:03d}", f"Sandbox item {i + 1}", 10.5 + i, 5 + i, start + i * 60)
        for i in range(min(fba, listings)):
            self.world.add_fba(f"SKU-{i + 1:03d}", 20 + i, start)
        for i in range(orders):
            self.world.add_order(start + 3600 + i * 60)

    def _counted_by(self, request: httpx.Request) -> str:
        grant = self.access_tokens.get(request.headers.get("x-amz-access-token", ""))
        return grant.client_id if grant else ""

    def serve(self, request: httpx.Request) -> httpx.Response:
        self.advance_world()
        host = request.url.host
        if host == TOKEN_HOST and request.url.path == TOKEN_PATH:
            return self._token(request)
        if host in CONSENT_HOSTS and request.url.path == CONSENT_PATH:
            return self._consent(request)
        if host == S3_HOST:
            return self._document(request)
        if host not in set(API_HOSTS.values()) | set(SANDBOX_HOSTS.values()):
            return error(404, "NotFound", f"unknown host {host}")
        raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        route, encoded = ROUTES.find(request.method, raw_path)
        operation: Operation = route.handler
        ids = {name: unquote(value) for name, value in encoded.items()}
        refused = self._authorize(request, operation, host)
        if refused is not None:
            return refused
        throttled = self.limits.admit(operation.id, request)
        if throttled is not None:
            return throttled
        response = self.faults.apply(operation.id, request, lambda: HANDLERS[operation.id](self, request, ids))
        response.headers.update(self.limits.headers(operation.id, request))
        response.headers["x-amzn-RequestId"] = f"{self.world.next_id():08x}-sandbox"
        return response

    def _authorize(self, request: httpx.Request, operation: Operation, host: str) -> httpx.Response | None:
        grant = self.access_tokens.get(request.headers.get("x-amz-access-token", ""))
        if grant is None:
            return error(403, "Unauthorized", "Access to requested resource is denied.")
        if grant.expires_at <= self.clock.now():
            return error(403, "Unauthorized", "The access token you provided has expired.")
        if (grant.scope is not None) != operation.grantless:
            kind = "a grantless" if operation.grantless else "the selling partner's"
            return error(403, "Unauthorized", f"{operation.id} needs {kind} access token.")
        if host not in (API_HOSTS[self.region], SANDBOX_HOSTS[self.region]):
            return error(403, "Unauthorized", f"The seller's marketplace is served by the {self.region} endpoint.")
        return None

    def _document(self, request: httpx.Request) -> httpx.Response:
        document_id = request.url.path.rsplit("/", 1)[-1]
        document = self.world.documents.get(document_id)
        params = request.url.params
        issued = params.get("X-Amz-Date", "")
        expected = hashlib.sha256(f"{self._signing_key}:{document_id}:{issued}".encode()).hexdigest()
        if document is None or not secrets.compare_digest(expected, params.get("X-Amz-Signature", "")):
            return httpx.Response(403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
        if self.clock.now() > float(issued) + URL_LIFETIME:
            return httpx.Response(
                403, text="<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            )
        if "x-amz-access-token" in request.headers or "authorization" in request.headers:
            return httpx.Response(
                400,
                text="<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>",
            )
        if request.method == "PUT":
            if request.headers.get("content-type") != document.content_type:
                return httpx.Response(403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
            document.content = request.content
            return httpx.Response(200)
        if request.method == "GET" and document.content is not None:
            return httpx.Response(200, content=document.content)
        return httpx.Response(404, text="<Error><Code>NoSuchKey</Code></Error>")

    def _consent(self, request: httpx.Request) -> httpx.Response:
        """Seller Central's consent page (GET) and the seller's answer (POST): back to the app with
        `spapi_oauth_code`, `state` and `selling_partner_id`."""
        query = dict(request.url.params)
        redirect = query.get("redirect_uri", "")
        if query.get("application_id") != APPLICATION_ID:
            return refused_page("MD1000: the application_id is not an app this seller can authorize")
        if urlsplit(redirect).scheme not in ("http", "https") or not query.get("state"):
            return refused_page("MD9100: redirect_uri and state are required")
        if request.method == "GET":
            return consent_page("Amazon Seller Central", query["application_id"], (), account=self.world.seller_id)
        answer = consent_answer(request)
        if answer is None:
            return refused_page("confirm or cancel")
        if not answer:
            return redirect_to(redirect, {"error": "access_denied", "state": query["state"]})
        return redirect_to(redirect, self.authorize(str(request.url)))

    def _token(self, request: httpx.Request) -> httpx.Response:
        fields = {k: v[-1] for k, v in form_fields(request).items()}
        client_id = fields.get("client_id", "")
        if self.apps.get(client_id) is None or self.apps[client_id] != fields.get("client_secret"):
            return reply(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        grant_type = fields.get("grant_type")
        body: dict[str, Any] = {"token_type": "bearer", "expires_in": int(self.token_ttl)}
        if grant_type == "refresh_token":
            if self.refresh_tokens.get(fields.get("refresh_token", "")) != client_id:
                return reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "The request has an invalid grant parameter : refresh_token",
                    },
                )
            self.refreshes += 1
            body["refresh_token"] = fields["refresh_token"]
            scope = None
        elif grant_type == "authorization_code":
            issued = self.codes.pop(fields.get("code", ""), None)
            if issued is None or (issued[1] and fields.get("redirect_uri") != issued[1]):
                return reply(
                    400, {"error": "invalid_grant", "error_description": "The authorization code is invalid or expired"}
                )
            refresh = "Atzr|" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = client_id
            body["refresh_token"], scope = refresh, None
        elif grant_type == "client_credentials":
            scope = fields.get("scope")
            if scope not in GRANTLESS_SCOPES:
                return reply(400, {"error": "invalid_scope", "error_description": "The scope is invalid"})
            body["scope"] = scope
        else:
            return reply(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})
        access = "Atza|" + secrets.token_urlsafe(32)
        self.access_tokens[access] = Grant(client_id, self.clock.now() + self.token_ttl, scope)
        body["access_token"] = access
        return reply(200, body)
