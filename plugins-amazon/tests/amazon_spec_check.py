"""Validate recorded HTTP traffic against Amazon's official SP-API models (shared/specs/amazon/).

Per request to an SP-API host: one operation of the models matches the method and path; path and
query parameters are declared and valid (comma-separated arrays, enums, maxItems, bounds; the
required ones present); a JSON body is valid for the operation's body schema, an object that
declares its properties refusing any other. Per 2xx answer of the fake: the body is valid for the
operation's response schema. Token requests (api.amazon.com) are checked against Login with
Amazon's documented forms; feed documents uploaded to their signed URLs against the JSON listings
feed schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jsonschema import Draft4Validator, Draft7Validator

from fusionhub.testing.specs import spec_file
from fusionhub.testing.traffic import Exchange

MODELS = [
    "amazon/listingsItems_2021-08-01.json",
    "amazon/fbaInventory.json",
    "amazon/orders_2026-01-01.json",
    "amazon/ordersV0.json",
    "amazon/feeds_2021-06-30.json",
    "amazon/notifications.json",
]
FEED_SCHEMA = "amazon/listings-feed-schema-v2.json"
API_HOST = re.compile(r"^(sandbox\.)?sellingpartnerapi-(na|eu|fe)\.amazon\.com$")
TOKEN_HOST, TOKEN_PATH = "api.amazon.com", "/auth/o2/token"
DOCUMENT_HOST = re.compile(r"\.s3[.-].*amazonaws\.com$")
TOKEN_FORMS = {  # https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api
    "refresh_token": ({"grant_type", "refresh_token", "client_id", "client_secret"}, set()),
    "client_credentials": ({"grant_type", "scope", "client_id", "client_secret"}, set()),
    "authorization_code": ({"grant_type", "code", "client_id", "client_secret"}, {"redirect_uri"}),
}


def spec_path() -> Path | None:
    return spec_file(MODELS[0], __file__)


@dataclass(frozen=True)
class Op:
    method: str
    pattern: re.Pattern[str]
    template: str
    op: dict[str, Any]
    params: list[dict[str, Any]]
    doc: dict[str, Any]


def strict(schema: Any) -> Any:
    """Objects that declare their properties take no others (the models leave it open)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def resolve(doc: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(doc, target)
        return {k: resolve(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(doc, v) for v in node]
    return node


class Models:
    def __init__(self, paths: list[Path], feed_schema: Path | None) -> None:
        self.ops: list[Op] = []
        for path in paths:
            doc = json.loads(path.read_text())
            for template, item in doc["paths"].items():
                shared = item.get("parameters", [])
                pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
                for method, op in item.items():
                    if method in {"get", "put", "post", "patch", "delete"}:
                        params = [resolve(doc, p) for p in [*shared, *op.get("parameters", [])]]
                        self.ops.append(Op(method.upper(), pattern, template, op, params, doc))
        self.feed = Draft7Validator(json.loads(feed_schema.read_text())) if feed_schema else None

    def find(self, method: str, path: str) -> tuple[Op, dict[str, str]] | None:
        for op in self.ops:
            found = op.pattern.match(path)
            if found and op.method == method:
                return op, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


@cache
def load() -> Models | None:
    paths = [spec_file(name, __file__) for name in MODELS]
    if any(p is None for p in paths):
        return None
    return Models([p for p in paths if p is not None], spec_file(FEED_SCHEMA, __file__))


def _check_value(name: str, param: dict[str, Any], raw: str) -> list[str]:
    kind = param.get("type")
    values = raw.split(",") if kind == "array" else [raw]
    problems = []
    if kind == "array":
        if "maxItems" in param and len(values) > param["maxItems"]:
            problems.append(f"{name}: {len(values)} items > maxItems {param['maxItems']}")
        item = param.get("items", {})
    else:
        item = param
    for value in values:
        if "enum" in item and value not in item["enum"]:
            problems.append(f"{name}={value!r} not in {item['enum']}")
        if item.get("type") == "integer":
            if not re.fullmatch(r"-?\d+", value):
                problems.append(f"{name}={value!r} is not an integer")
            else:
                number = int(value)
                if "maximum" in item and number > item["maximum"]:
                    problems.append(f"{name}={number} > maximum {item['maximum']}")
                if "minimum" in item and number < item["minimum"]:
                    problems.append(f"{name}={number} < minimum {item['minimum']}")
        if item.get("type") == "boolean" and value not in ("true", "false"):
            problems.append(f"{name}={value!r} is not a boolean")
        if item.get("type") == "string" and not value:
            problems.append(f"{name} is empty")
    return problems


def _api(models: Models, r: Exchange) -> list[str]:
    url = urlsplit(r.url)
    found = models.find(r.method, url.path)
    if found is None:
        return [f"no operation of the SP-API models is {r.method} {url.path}"]
    op, path_ids = found
    problems = []
    query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    declared = {p["name"]: p for p in op.params if p.get("in") == "query"}
    for name in query.keys() - declared.keys():
        problems.append(f"{op.op['operationId']}: query parameter {name!r} is not declared")
    for param in op.params:
        where, name = param.get("in"), param.get("name", "")
        if where == "path":
            problems += _check_value(name, param, path_ids.get(name, ""))
        elif where == "query":
            if name in query:
                problems += _check_value(name, param, query[name])
            elif param.get("required"):
                problems.append(f"{op.op['operationId']}: required query parameter {name!r} is missing")
        elif where == "body":
            schema = strict(resolve(op.doc, param["schema"]))
            try:
                data = json.loads(r.body)
            except ValueError:
                problems.append(f"{op.op['operationId']}: body is not JSON")
                continue
            problems += [f"{op.op['operationId']} body: {e.message}" for e in Draft4Validator(schema).iter_errors(data)]
    if not any(p.get("in") == "body" for p in op.params) and r.body:
        problems.append(f"{op.op['operationId']}: a body where the operation takes none")
    if r.status is not None and 200 <= r.status < 300 and r.answer:
        response = op.op.get("responses", {}).get(str(r.status))
        if response is None:
            problems.append(f"{op.op['operationId']}: status {r.status} is not a documented answer")
        elif "schema" in response:
            schema = resolve(op.doc, response["schema"])
            answer = json.loads(r.answer)
            problems += [
                f"{op.op['operationId']} answer: {e.message}" for e in Draft4Validator(schema).iter_errors(answer)
            ]
    return problems


def _token(r: Exchange) -> list[str]:
    form = {k: v[-1] for k, v in parse_qs(r.body.decode()).items()}
    grant = form.get("grant_type", "")
    if grant not in TOKEN_FORMS:
        return [f"token request with grant_type {grant!r}"]
    required, optional = TOKEN_FORMS[grant]
    problems = [f"token request ({grant}) lacks {name}" for name in sorted(required - form.keys())]
    problems += [f"token request ({grant}) sends {name}" for name in sorted(form.keys() - required - optional)]
    if "x-amz-access-token" in r.headers:
        problems.append("a token request carries an access token")
    return problems


def feed_problems(models: Models, content: bytes) -> list[str]:
    if models.feed is None:
        return []
    return [f"feed document: {e.message}" for e in models.feed.iter_errors(json.loads(content))]


def validate(models: Models, r: Exchange) -> list[str]:
    host = urlsplit(r.url).hostname or ""
    if API_HOST.match(host):
        return _api(models, r)
    if host == TOKEN_HOST:
        return _token(r) if urlsplit(r.url).path == TOKEN_PATH else [f"unknown LWA path {r.url}"]
    if DOCUMENT_HOST.search(host):
        if "x-amz-access-token" in r.headers or "authorization" in r.headers:
            return ["a credential was sent to a signed document URL"]
        return feed_problems(models, r.body) if r.method == "PUT" else []
    return [f"a request to a host the plugin does not declare: {host}"]
