"""The fake Shopify's HTTP surface: GraphQL with the cost bucket, OAuth tokens, uploads, results.

Each GraphQL request is charged its requested cost before it runs (THROTTLED when the bucket
cannot hold it), refunded the difference to its actual cost afterwards, and answered with
`extensions.cost` as Shopify does. The bucket (core's SandboxBucket, one per shop: Shopify
keys it per app per shop) refills on the sandbox's clock.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import httpx
from graphql import GraphQLSchema, graphql_sync, parse, validate

from fusionhub.plugin import Faults, Reply, RouteTable, SandboxBucket, TokenWindow, form_fields, multipart_fields
from fusionhub_shopify.cost import MAX_QUERY_COST, actual_cost, requested_cost
from fusionhub_shopify.sandbox.bulk import RESULTS_HOST, UPLOADS_HOST, BulkRunner
from fusionhub_shopify.sandbox.idempotency import IdempotencyKeys
from fusionhub_shopify.sandbox.state import ShopState

VERSION = re.compile(r"\d{4}-\d{2}")
JSON = {"Content-Type": "application/json"}


def _not_found(method: str, path: str, allowed: tuple[str, ...]) -> httpx.Response:
    return httpx.Response(404, text="Not Found")  # Shopify answers an unknown method with 404 too


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, headers=JSON, content=json.dumps(body).encode())


def _form(request: httpx.Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return {k: str(v) for k, v in json.loads(request.content or b"{}").items()}
    return {k: v[0] for k, v in form_fields(request).items()}


class Server:
    def __init__(
        self,
        sandbox: Any,
        shop: ShopState,
        schema: GraphQLSchema,
        bulk: BulkRunner,
        context: Callable[[bool], dict[str, Any]],
    ) -> None:
        self.sandbox = sandbox
        self.shop = shop
        self.schema = schema
        self.bulk = bulk
        self.context = context
        rate = sandbox.restore_rate
        self.limits: SandboxBucket[TokenWindow] = SandboxBucket(
            shop.clock, lambda now: {"cost": TokenWindow.full(20 * rate, rate, now)}, key=lambda r: r.url.host
        )
        self.keys = IdempotencyKeys()
        self.points_spent = 0.0  # actual cost of every request served: the work a client cannot avoid
        self.routes: RouteTable[Callable[[httpx.Request, dict[str, str]], httpx.Response]] = RouteTable(
            [
                ("POST", "/admin/oauth/access_token", self._token),
                ("GET", "/admin/oauth/authorize", self._consent),
                ("POST", "/admin/oauth/authorize", self._consent),
                ("POST", "/admin/api/{version}/graphql.json", self._api),
            ],
            missing=_not_found,
        )

    @property
    def bucket(self) -> TokenWindow:
        """The shop's cost bucket, as of its last request."""
        return self.limits.windows(self.sandbox.shop)["cost"]

    def serve(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if host == RESULTS_HOST:
            body = self.bulk.results.get(path.rsplit("/", 1)[-1])
            if body is None:
                return httpx.Response(404)
            faults: Faults = self.sandbox.faults
            return faults.apply("bulk_result", request, lambda: httpx.Response(200, content=body))
        if host == UPLOADS_HOST:
            return self._upload(request)
        if host != self.sandbox.shop:
            return _not_found(request.method, path, ())
        route, params = self.routes.find(request.method, path)
        return route.handler(request, params)

    def _token(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        issued: httpx.Response = self.sandbox.auth.token_endpoint(_form(request))
        return issued

    def _consent(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        answer: httpx.Response = self.sandbox.auth.consent(request, self.sandbox.shop)
        return answer

    def _api(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        if not VERSION.fullmatch(params["version"]):
            raise Reply(_not_found(request.method, request.url.path, ()))
        faults: Faults = self.sandbox.faults
        return faults.apply("graphql", request, lambda: self._authorized(request, params["version"]))

    def _authorized(self, request: httpx.Request, version: str) -> httpx.Response:
        if not self.sandbox.auth.accepts(request.headers.get("x-shopify-access-token")):
            return _json(
                401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
            )
        return self._graphql(request, version)

    def _upload(self, request: httpx.Request) -> httpx.Response:
        fields = multipart_fields(request)
        key = fields.get("key", b"").decode()
        if not key or "file" not in fields:
            return httpx.Response(400, text="missing key or file")
        self.shop.uploads[key] = fields["file"]
        return httpx.Response(201, text=f"<PostResponse><Key>{key}</Key></PostResponse>")

    def _cost(self, requested: float, actual: float | None) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": self.bucket.capacity,
                "currentlyAvailable": math.floor(self.bucket.tokens * 1000) / 1000,
                "restoreRate": self.bucket.refill_rate,
            },
        }

    def _graphql(self, request: httpx.Request, version: str) -> httpx.Response:
        try:
            body = json.loads(request.content)
            query, variables = body["query"], body.get("variables") or {}
            doc = parse(query)
        except Exception:  # any unreadable request is a 400 on Shopify as well
            return _json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        problems = validate(self.schema, doc)
        if problems:
            return _json(
                200,
                {
                    "errors": [
                        {"message": p.message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}} for p in problems
                    ]
                },
            )
        requested = float(requested_cost(query, variables))
        self.bucket.refill(self.shop.clock.now())
        if requested > MAX_QUERY_COST:
            return _json(
                200,
                {
                    "errors": [
                        {
                            "message": f"Query cost is {requested:.0f}, which exceeds the single query max cost limit "
                            f"({MAX_QUERY_COST}).",
                            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST},
                        }
                    ],
                    "extensions": {"cost": self._cost(requested, None)},
                },
            )
        key, refused = self.keys.key_of(doc, variables, version)
        if refused is not None:
            return _json(200, refused)
        fingerprint = self.keys.fingerprint(query, variables, key) if key else ""
        earlier = self.keys.earlier(key, fingerprint) if key else None
        if earlier is not None:  # the key's first answer again; nothing is applied twice
            return _json(200, earlier)
        if self.limits.take(request, requested) > 0:
            return _json(
                200,
                {
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": {"cost": self._cost(requested, None)},
                },
            )
        result = graphql_sync(
            self.schema, query, variable_values=variables, context_value={**self.context(False), "version": version}
        )
        actual = float(actual_cost(query, variables, result.data))
        self.limits.refund(request, max(0.0, requested - actual))
        self.points_spent += actual
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        out["extensions"] = {"cost": self._cost(requested, actual)}
        if key and not result.errors:
            self.keys.seen[key] = (fingerprint, out)
        self.sandbox.deliver_events()
        return _json(200, out)
