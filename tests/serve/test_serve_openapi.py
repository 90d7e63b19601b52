"""/api/openapi.json describes what the API and the receiver answer: every answer here validates against it."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest
from openapi_schema_validator import OAS31Validator
from serve_fixtures import TOKEN, Served

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def check(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    described = document["paths"][path][method]["responses"]
    assert str(response.status_code) in described, (path, response.status_code, response.text)
    schema = described[str(response.status_code)]["content"]["application/json"]["schema"]
    # The document's components beside the schema, so its "#/components/..." references resolve.
    OAS31Validator({**schema, "components": document["components"]}).validate(response.json())


async def test_every_answer_matches_the_document(served: Served) -> None:
    document = (await served.client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    await served.runtime.enqueue(served.ids["shopify"], "list_products", {})
    for path in ("/api/stores", "/api/plugins", "/api/capabilities", "/api/jobs"):
        check(document, path, "get", await served.client.get(path, headers=AUTH))
        check(document, path, "get", await served.client.get(path))  # 401
    for query in ({"status": "nope"}, {"limit": "0"}, {"store": "no-such-store"}, {"store": "shopify", "limit": "3"}):
        check(document, "/api/jobs", "get", await served.client.get("/api/jobs", params=query, headers=AUTH))
    headers, body = served.shopify.signed("orders/create", {"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1"})
    for store, sent in (("shopify", headers), ("shopify", {}), ("nope", headers)):
        answer = await served.client.post(f"/webhooks/{store}", headers=sent, content=body)
        check(document, "/webhooks/{store}", "post", answer)


async def test_the_document_catches_an_answer_it_does_not_describe(served: Served) -> None:
    document = (await served.client.get("/api/openapi.json")).json()
    stores = await served.client.get("/api/stores", headers=AUTH)
    leaked = [{**stores.json()[0], "credentials": {"access_token": "x"}}]
    forged = httpx.Response(200, json=leaked)
    with pytest.raises(jsonschema.ValidationError, match="credentials"):
        check(document, "/api/stores", "get", forged)
