"""Bulk operations: they take time on the clock, then their JSONL waits at a URL the sandbox serves.

A query's result flattens every nested connection into lines of their own carrying
`__parentId`, parents before children; a mutation's result is one line per variables line
with its `__lineNumber`. One query and one mutation may run at a time (before 2026-01).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode, OperationType, graphql_sync, parse, validate

from fusionhub_shopify.sandbox.reads import Info, state
from fusionhub_shopify.sandbox.state import GID, ShopState, iso
from fusionhub_shopify.sandbox.writes import err

RESULTS_HOST = "storage.sandbox.shopify.test"
UPLOADS_HOST = "uploads.sandbox.shopify.test"


def flatten(node: dict[str, Any], parent: str | None = None) -> Iterator[dict[str, Any]]:
    own: dict[str, Any] = {}
    children: list[dict[str, Any]] = []
    for key, value in node.items():
        if isinstance(value, dict) and ("edges" in value or "nodes" in value):
            children += [e["node"] for e in value.get("edges") or ()] or list(value.get("nodes") or ())
        else:
            own[key] = value
    if parent is not None:
        own["__parentId"] = parent
    yield own
    for child in children:
        yield from flatten(child, str(node.get("id")))


class BulkRunner:
    def __init__(
        self,
        shop: ShopState,
        schema: GraphQLSchema,
        context: Callable[[bool], dict[str, Any]],
        *,
        objects_per_second: float,
        mutations_per_second: float,
    ) -> None:
        self.shop = shop
        self.schema = schema
        self.context = context
        self.objects_per_second = objects_per_second
        self.mutations_per_second = mutations_per_second
        self.results: dict[str, bytes] = {}

    def _running(self, kind: str) -> bool:
        return any(op["type"] == kind and op["status"] in ("CREATED", "RUNNING") for op in self._advanced())

    def _advanced(self) -> list[dict[str, Any]]:
        ops = list(self.shop.bulk_operations.values())
        for op in ops:
            self.advance(op)
        return ops

    def _new(self, kind: str, query: str, duration: float, variables: list[dict[str, Any]] | None) -> dict[str, Any]:
        oid = self.shop.new_id()
        op = {
            "__typename": "BulkOperation",
            "id": f"{GID}BulkOperation/{oid}",
            "type": kind,
            "status": "RUNNING",
            "errorCode": None,
            "createdAt": self.shop.now(),
            "completedAt": None,
            "objectCount": 0,
            "rootObjectCount": 0,
            "url": None,
            "partialDataUrl": None,
            "query": query,
            "_done_at": self.shop.clock.now() + duration,
            # What to run when its time comes, as data (the shop is kept between processes): a
            # query runs on the shop as it is then, a mutation once per line of its variables.
            "_variables": variables,
        }
        self.shop.bulk_operations[oid] = op
        return op

    def advance(self, op: dict[str, Any]) -> None:
        """Finish the operation once its time has come (results are computed then)."""
        if op["status"] != "RUNNING" or self.shop.clock.now() < op["_done_at"]:
            return
        variables = op.pop("_variables")
        query = op["query"]
        lines = self._query_lines(query) if variables is None else self._mutation_lines(query, variables)
        key = f"{uuid.uuid4().hex}.jsonl"
        self.results[key] = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        op.update(
            status="COMPLETED",
            completedAt=iso(op["_done_at"]),
            objectCount=len(lines),
            rootObjectCount=sum(1 for line in lines if "__parentId" not in line),
            url=f"https://{RESULTS_HOST}/bulk/{key}" if lines else None,
        )
        self.shop.emit(
            "bulk_operations/finish",
            {"admin_graphql_api_id": op["id"], "status": "completed", "type": op["type"].lower()},
        )

    # --- mutations the schema routes here ---------------------------------------------------

    def run_query(self, _root: Any, info: Info, query: str) -> dict[str, Any]:
        try:
            doc = parse(query)
        except Exception as exc:  # graphql syntax errors are the caller's
            return {"bulkOperation": None, "userErrors": [err(["query"], f"Invalid bulk query: {exc}", "INVALID")]}
        problems = validate(self.schema, doc)
        ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
        if problems or len(ops) != 1 or ops[0].operation is not OperationType.QUERY:
            message = problems[0].message if problems else "a bulk query is exactly one query"
            return {"bulkOperation": None, "userErrors": [err(["query"], message, "INVALID")]}
        if self._running("QUERY"):
            return {
                "bulkOperation": None,
                "userErrors": [
                    err(
                        [],
                        "A bulk query operation for this app and shop is already in progress",
                        "OPERATION_IN_PROGRESS",
                    )
                ],
            }
        roots = len(state(info).products) + len(state(info).orders)
        objects = roots + len(state(info).variants)
        return {
            "bulkOperation": self._new("QUERY", query, 1.0 + objects / self.objects_per_second, None),
            "userErrors": [],
        }

    def _query_lines(self, query: str) -> list[dict[str, Any]]:
        result = graphql_sync(self.schema, query, context_value=self.context(True))
        if result.errors or not result.data:
            return []
        connection = next(iter(result.data.values()))
        nodes = [e["node"] for e in connection.get("edges") or ()] or list(connection.get("nodes") or ())
        return [line for node in nodes for line in flatten(node)]

    def run_mutation(
        self,
        _root: Any,
        info: Info,
        mutation: str,
        stagedUploadPath: str,
        clientIdentifier: str | None = None,
    ) -> dict[str, Any]:
        body = self.shop.uploads.get(stagedUploadPath)
        if body is None:
            return {
                "bulkOperation": None,
                "userErrors": [err(["stagedUploadPath"], "The staged upload path does not exist", "NO_SUCH_FILE")],
            }
        if self._running("MUTATION"):
            return {
                "bulkOperation": None,
                "userErrors": [
                    err(
                        [],
                        "A bulk mutation operation for this app and shop is already in progress",
                        "OPERATION_IN_PROGRESS",
                    )
                ],
            }
        try:
            variables = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        except ValueError:
            return {
                "bulkOperation": None,
                "userErrors": [
                    err(["stagedUploadPath"], "The variables file is not JSONL", "INVALID_STAGED_UPLOAD_FILE")
                ],
            }
        duration = 1.0 + len(variables) / self.mutations_per_second
        return {
            "bulkOperation": self._new("MUTATION", mutation, duration, variables),
            "userErrors": [],
        }

    def _mutation_lines(self, mutation: str, variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines = []
        for number, values in enumerate(variables):
            result = graphql_sync(self.schema, mutation, variable_values=values, context_value=self.context(False))
            line: dict[str, Any] = {"data": result.data}
            if result.errors:
                line["errors"] = [{"message": e.message} for e in result.errors]
            lines.append({**line, "__lineNumber": number})
        return lines

    def staged_uploads(self, _root: Any, info: Info, input: list[dict[str, Any]]) -> dict[str, Any]:
        targets, errors = [], []
        for i, spec in enumerate(input):
            if spec["resource"] != "BULK_MUTATION_VARIABLES":
                errors.append(err(["input", i, "resource"], "The sandbox stages bulk mutation variables only"))
                continue
            key = f"tmp/sandbox/bulk/{uuid.uuid4().hex}/{spec['filename']}"
            params = {
                "key": key,
                "Content-Type": spec["mimeType"],
                "success_action_status": "201",
                "acl": "private",
                "policy": "c2FuZGJveA==",
                "x-goog-signature": uuid.uuid4().hex,
            }
            targets.append(
                {
                    "url": f"https://{UPLOADS_HOST}/",
                    "resourceUrl": None,
                    "parameters": [{"name": k, "value": v} for k, v in params.items()],
                }
            )
        return {"stagedTargets": targets, "userErrors": errors}
