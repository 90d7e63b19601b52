"""A stateful, in-process fake of Etsy's Open API v3 on the fusionhub clock, on core's sandbox toolkit.

Real response shapes, real status codes, the x-api-key + bearer checks with per-operation
OAuth scopes, QPS/QPD limits per app with Etsy's headers and 429s, full-replace inventory (new
product ids on every PUT), receipts that appear and ship as time passes, the consent page
(`GET https://www.etsy.com/oauth/connect?...`; POSTing `approve=yes` to it is the seller clicking
"Grant access": a 302 to the redirect URI with `code` and `state`), the PKCE token endpoint with
refresh-token rotation, and faults (`sandbox.faults.fail(503, on="getListing")`;
`sandbox.faults.inject("malformed")`: a 200 whose JSON body is cut short).
Its first app is core's fixed sandbox credentials; `add_app()` connects the shop to another.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    consent_answer,
    consent_page,
    form_fields,
    redirect_to,
    refused_page,
)
from fusionhub_etsy.endpoints import BASE_URL, OPERATIONS, Operation
from fusionhub_etsy.sandbox import limits
from fusionhub_etsy.sandbox.routes import HANDLERS, one, reply
from fusionhub_etsy.sandbox.world import USER_ID, World

API_HOST = "openapi.etsy.com"
TOKEN_HOST, TOKEN_PATH = "api.etsy.com", "/v3/public/oauth/token"
CONSENT_HOST, CONSENT_PATH = "www.etsy.com", "/oauth/connect"
API_PREFIX = urlsplit(BASE_URL).path  # "/v3/application/"
ALL_SCOPES = ("listings_r", "listings_w", "listings_d", "transactions_r", "transactions_w", "shops_r", "shops_w")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class Grant:
    scopes: frozenset[str]
    expires_at: float = 0.0
    client_id: str = ""
    redirect_uri: str = ""
    challenge: str = ""


def _missing(method: str, path: str, allowed: tuple[str, ...]) -> httpx.Response:
    return reply(404, {"error": f"No route for {method} {path} in the sandbox"})


def _error(status: int, message: str) -> httpx.Response:
    return reply(status, {"error": message})


def _malformed(request: httpx.Request, handler: object) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "application/json"}, content=b'{"listing_id": 1, "tit')


ROUTES = RouteTable([(op.method, op.path, op) for op in OPERATIONS.values()], missing=_missing)


class EtsySandbox(SandboxBase):
    slug = "etsy"
    transient = frozenset({"image_requests"})  # a log for tests, not the shop

    def __init__(
        self,
        clock: Clock,
        *,
        listings: int = 6,
        receipts: int = 3,
        qps: int = 10,
        qpd: int = 10_000,
        shop_id: int = 31_415_926,
        order_every: float | None = None,
        ship_after: float | None = None,
        token_ttl: float = 3600.0,
        scopes: Iterable[str] = ALL_SCOPES,
    ) -> None:
        faults = Faults(error=_error, kinds={"malformed": _malformed})
        super().__init__(clock, faults=faults, bucket=limits.per_app(clock, qps, qpd))
        self.image_requests: list[httpx.Request] = []
        self.world = World(shop_id)
        self.order_every, self.ship_after, self.token_ttl = order_every, ship_after, token_ttl
        self._next_order = clock.now() + order_every if order_every else None
        self.keystring, self.shared_secret = SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
        self.apps: dict[str, str] = {}  # keystring -> shared secret
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.refreshes = 0
        self.scopes = frozenset(scopes)
        tokens = f"{USER_ID}.{SANDBOX_ACCESS_TOKEN}", f"{USER_ID}.{SANDBOX_REFRESH_TOKEN}"
        self._credentials = self._connect(self.keystring, self.shared_secret, tokens)
        self._seed(listings, receipts)

    # --- the Sandbox protocol ----------------------------------------------------------------

    def image_transport(self) -> httpx.AsyncBaseTransport:
        """Serves image downloads (any URL) for create_product with images."""

        def serve(request: httpx.Request) -> httpx.Response:
            self.image_requests.append(request)
            return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})

        return httpx.MockTransport(serve)

    def credentials(self) -> dict[str, str]:
        return dict(self._credentials)

    def add_app(self) -> dict[str, str]:
        """Connect the shop to one more app: its credentials (an API key with its own QPS and QPD)."""
        return self._connect(f"{SANDBOX_CLIENT_ID}-{len(self.apps) + 1}", secrets.token_hex(10), self._tokens())

    def _connect(self, keystring: str, shared_secret: str, tokens: tuple[str, str]) -> dict[str, str]:
        self.apps[keystring] = shared_secret
        self._grant(*tokens, self.scopes)
        return {
            "keystring": keystring,
            "shared_secret": shared_secret,
            "access_token": tokens[0],
            "refresh_token": tokens[1],
        }

    def store_config(self) -> dict[str, Any]:
        return {"shop_id": self.world.shop_id}

    def sample_params(self, capability: Capability) -> dict[str, Any] | None:
        active = [x for x in self.world.listings.values() if x["state"] == "active"]
        listing = active[0] if active else None
        product = self.world.inventories[listing["listing_id"]]["products"][0] if listing else None
        receipt = next(iter(self.world.receipts.values()), None)
        lid = str(listing["listing_id"]) if listing else None
        samples: dict[Capability, dict[str, Any] | None] = {
            Capability.LIST_PRODUCTS: {"limit": 2},
            Capability.GET_PRODUCT: {"product_id": lid} if lid else None,
            Capability.CREATE_PRODUCT: {
                "product": {
                    "title": "Hand-thrown mug",
                    "description": "Stoneware, 350 ml.",
                    "variants": [
                        {"sku": "MUG-1", "price": {"amount": "24.00", "currency": "USD"}, "inventory_quantity": 3}
                    ],
                    "platform_fields": {"who_made": "i_did", "when_made": "made_to_order", "taxonomy_id": 1062},
                }
            },
            Capability.UPDATE_PRODUCT: {"product_id": lid, "changes": {"title": "Renamed listing"}} if lid else None,
            Capability.DELETE_PRODUCT: {"product_id": lid} if lid else None,
            Capability.BULK_UPDATE: {
                "items": [
                    {"product_id": str(x["listing_id"]), "changes": {"title": f"Bulk {i}"}}
                    for i, x in enumerate(active[:3])
                ]
            }
            if active
            else None,
            Capability.SYNC_INVENTORY: {"levels": [{"product_id": lid, "sku": product["sku"], "quantity": 7}]}
            if product
            else None,
            Capability.GET_INVENTORY: {"product_id": lid} if lid else None,
            Capability.UPDATE_VARIANT_INVENTORY: {"target": {"product_id": lid, "sku": product["sku"], "quantity": 4}}
            if product
            else None,
            Capability.LIST_ORDERS: {"limit": 2},
            Capability.GET_ORDER: {"order_id": str(receipt["receipt_id"])} if receipt else None,
            Capability.UPDATE_ORDER_STATUS: {
                "order_id": str(receipt["receipt_id"]),
                "action": "ship",
                "tracking": {"number": "9400111899223344556677", "carrier": "usps"},
            }
            if receipt
            else None,
            Capability.PROCESS_REFUND: None,
            Capability.WEBHOOKS: None,
            Capability.BULK_OPERATIONS: {
                "kind": "update_products",
                "items": [
                    {"product_id": str(x["listing_id"]), "changes": {"title": f"Op {i}"}}
                    for i, x in enumerate(active[:2])
                ],
            }
            if active
            else None,
        }
        return samples[Capability(capability)]

    # --- controls for tests --------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.now())

    def add_receipt(self, listing_id: int | None = None, *, paid: bool = True) -> dict[str, Any]:
        return self.world.new_receipt(self.now(), listing_id, paid)

    def ship(self, receipt_id: int) -> dict[str, Any]:
        receipt = self.world.receipts[receipt_id]
        receipt["is_shipped"], receipt["status"] = True, "completed"
        return self.world.touch_receipt(receipt_id, self.now())

    def expire_tokens(self) -> None:
        for grant in self.access_tokens.values():
            grant.expires_at = 0.0

    def advance_world(self) -> None:
        """Orders arrive every `order_every` seconds and ship `ship_after` seconds later."""
        now = self.clock.now()
        while self._next_order is not None and self.order_every and self._next_order <= now:
            self.world.new_receipt(int(self._next_order))
            self._next_order += self.order_every
        if self.ship_after is not None:
            for receipt in self.world.receipts.values():
                due = receipt["created_timestamp"] + self.ship_after
                if not receipt["is_shipped"] and due <= now:
                    receipt["is_shipped"], receipt["status"] = True, "completed"
                    receipt["update_timestamp"] = receipt["updated_timestamp"] = int(due)

    def authorize(self, url: str, *, approve_scopes: Iterable[str] | None = None) -> dict[str, str]:
        """What the browser brings back after the seller approves: the callback's query."""
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        if query.get("response_type") != "code" or query.get("client_id") not in self.apps:
            raise ValueError("authorize: bad response_type or client_id")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise ValueError("authorize: PKCE with S256 is required")
        scopes = frozenset(query.get("scope", "").split())
        if not scopes <= set(ALL_SCOPES) or not query.get("state"):
            raise ValueError("authorize: unknown scope or missing state")
        code = secrets.token_urlsafe(24)
        granted = scopes if approve_scopes is None else frozenset(approve_scopes) & scopes
        redirect = query.get("redirect_uri", "")
        self.codes[code] = Grant(granted, 0.0, query["client_id"], redirect, query["code_challenge"])
        return {"code": code, "state": query["state"]}

    def granted_scopes(self, access_token: str) -> frozenset[str]:
        grant = self.access_tokens.get(access_token)
        return grant.scopes if grant else frozenset()

    # --- the wire --------------------------------------------------------------------------------

    @staticmethod
    def _tokens() -> tuple[str, str]:
        return f"{USER_ID}.{secrets.token_urlsafe(32)}", f"{USER_ID}.{secrets.token_urlsafe(32)}"

    def _grant(self, access: str, refresh: str, scopes: frozenset[str]) -> None:
        self.access_tokens[access] = Grant(scopes, self.clock.now() + self.token_ttl)
        self.refresh_tokens[refresh] = Grant(scopes)

    def _seed(self, listings: int, receipts: int) -> None:
        start = self.now() - 86_400
        for i in range(listings):
            fields = {
                "title": f"Sandbox listing {i + 1}",
                "description": "A listing of the Etsy sandbox.",
                "price": f"{10 + i}.50",
                "quantity": 5,
                "who_made": "i_did",
                "when_made": "made_to_order",
                "taxonomy_id": 1062,
                "sku": f"SKU-{i + 1}",
            }
            listing = self.world.new_listing(start + i * 60, fields, state="active" if i < listings - 1 else "inactive")
            self.world.images[listing["listing_id"]].append(self.world.image(listing["listing_id"], 1, "", start))
        for i in range(receipts):
            self.world.new_receipt(start + 3600 + i * 60)

    def serve(self, request: httpx.Request) -> httpx.Response:
        self.advance_world()
        if request.url.host == TOKEN_HOST and request.url.path == TOKEN_PATH:
            return self._token(request)
        if request.url.host == CONSENT_HOST and request.url.path == CONSENT_PATH:
            return self._consent(request)
        path = request.url.path
        if request.url.host != API_HOST or not path.startswith(API_PREFIX):
            return reply(404, {"error": "Not Found"})
        key, _, secret = request.headers.get("x-api-key", "").partition(":")
        if key not in self.apps or self.apps[key] != secret:
            return reply(403, {"error": "Invalid API key"})
        refused = self.bucket.admit(request)
        if refused is not None:
            return refused
        response = self._route(request, path[len(API_PREFIX) :])
        response.headers.update(self.bucket.headers(request))
        return response

    def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        route, ids = ROUTES.find(request.method, path)
        operation: Operation = route.handler
        if any(not v.isdigit() for v in ids.values()):
            return reply(400, {"error": "ids must be positive integers"})
        if operation.scope is not None:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            grant = self.access_tokens.get(token)
            if grant is None or grant.expires_at <= self.clock.now():
                return reply(401, {"error": "invalid_token", "error_description": "access token is invalid or expired"})
            if operation.scope not in grant.scopes:
                return reply(403, {"error": "insufficient_scope", "error_description": f"needs {operation.scope}"})
        return self.faults.apply(operation.id, request, lambda: HANDLERS[operation.id](self, request, ids))

    def _consent(self, request: httpx.Request) -> httpx.Response:
        """The "Grant access" page (GET) and the seller's answer (POST): back to the app with a code."""
        query = dict(request.url.params)
        redirect = query.get("redirect_uri", "")
        try:
            if urlsplit(redirect).scheme not in ("http", "https"):
                raise ValueError("authorize: redirect_uri is required")
            if request.method == "GET":
                self.authorize(str(request.url))  # checks the request; the code it makes is never sent
                return consent_page("Etsy", query["client_id"], query.get("scope", "").split())
            answer = consent_answer(request)
            if answer is None:
                raise ValueError("authorize: grant or deny access")
            if not answer:
                return redirect_to(redirect, {"error": "access_denied", "state": query.get("state", "")})
            return redirect_to(redirect, self.authorize(str(request.url)))
        except ValueError as exc:
            return refused_page(str(exc))

    def _token(self, request: httpx.Request) -> httpx.Response:
        fields = form_fields(request)
        grant_type = one(fields, "grant_type")
        if one(fields, "client_id") not in self.apps:
            return reply(401, {"error": "invalid_client", "error_description": "unknown client_id"})
        if grant_type == "authorization_code":
            grant = self.codes.pop(one(fields, "code") or "", None)
            verifier = one(fields, "code_verifier") or ""
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant is None or grant.challenge != challenge or grant.redirect_uri != one(fields, "redirect_uri"):
                return reply(400, {"error": "invalid_grant", "error_description": "code, verifier or redirect_uri"})
            scopes = grant.scopes
        elif grant_type == "refresh_token":
            old = self.refresh_tokens.pop(one(fields, "refresh_token") or "", None)  # single use: rotation
            if old is None:
                return reply(400, {"error": "invalid_grant", "error_description": "refresh token is invalid"})
            scopes = old.scopes
            self.refreshes += 1
        else:
            return reply(400, {"error": "unsupported_grant_type"})
        access, refresh = self._tokens()
        self._grant(access, refresh, scopes)
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.token_ttl),
            "refresh_token": refresh,
        }
        return reply(200, body)
