"""Validate recorded HTTP requests against Etsy's official OpenAPI document.

Checks per request: a path template of the document matches (host and /v3/application prefix
included) for the method; path and query parameters are declared and valid for their schemas
(required ones present); the body's content type is one the operation takes and the body is
valid for its schema, unknown properties included as errors. Token requests (api.etsy.com,
not in the document's paths) are checked against the OAuth form Etsy documents.
"""

from __future__ import annotations

import copy
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from openapi_schema_validator import OAS30Validator

from fusionhub.testing.specs import spec_file
from fusionhub.testing.traffic import Exchange

SPEC_NAME = "etsy/etsy-openapi-3.0.0.json"
API_HOST = "openapi.etsy.com"
TOKEN_HOST, TOKEN_PATH = "api.etsy.com", "/v3/public/oauth/token"
TOKEN_FORMS = {
    "authorization_code": {"grant_type", "client_id", "redirect_uri", "code", "code_verifier"},
    "refresh_token": {"grant_type", "client_id", "refresh_token"},
}


def spec_path() -> Path | None:
    return spec_file(SPEC_NAME, __file__)


class Spec:
    def __init__(self, path: Path) -> None:
        self.doc = json.loads(path.read_text())
        self.ops: list[tuple[str, re.Pattern[str], str, dict[str, Any], list[dict[str, Any]]]] = []
        for template, item in self.doc["paths"].items():
            shared = item.get("parameters", [])
            pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
            for method, op in item.items():
                if method in {"get", "put", "post", "patch", "delete"}:
                    params = [self.resolve(p) for p in [*shared, *op.get("parameters", [])]]
                    self.ops.append((method.upper(), pattern, template, op, params))

    def resolve(self, node: Any) -> Any:
        """Inline every $ref (request schemas here are not recursive)."""
        if isinstance(node, dict):
            if "$ref" in node:
                target: Any = self.doc
                for part in node["$ref"].lstrip("#/").split("/"):
                    target = target[part]
                return self.resolve(target)
            return {k: self.resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        return node

    def find(self, method: str, path: str) -> tuple[str, dict[str, Any], list[dict[str, Any]], dict[str, str]] | None:
        matches = []
        for op_method, pattern, template, op, params in self.ops:
            found = pattern.match(path)
            if found and op_method == method:
                matches.append((template.count("{"), template, op, params, found.groupdict()))
        if not matches:
            return None
        matches.sort(key=lambda m: m[0])  # a literal segment (listings/batch) beats a template
        _, template, op, params, ids = matches[0]
        return template, op, params, ids


def strict(schema: Any) -> Any:
    """The schema with unknown object properties made errors (the document leaves them open)."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def coerce(values: list[str], schema: dict[str, Any]) -> Any:
    """Form/query strings to the schema's type (invalid text stays a string and fails validation)."""
    if schema.get("type") == "array":
        items: list[str] = []
        for value in values:
            items.extend(value.split(",") if schema.get("explode") is False else [value])
        return [coerce([v], schema.get("items", {})) for v in items]
    value = values[-1]
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _errors(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    validator = OAS30Validator(strict(schema))
    return [
        f"{where}{'.' + '.'.join(map(str, e.path)) if e.path else ''}: {e.message}"
        for e in validator.iter_errors(value)
    ]


def _form_body(body: bytes, schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    fields = parse_qs(body.decode(), keep_blank_values=True)
    props = schema.get("properties", {})
    return {k: coerce(v, props.get(k, {})) for k, v in fields.items()}, []


def _multipart_body(body: bytes, content_type: str, schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    message = BytesParser(policy=HTTP).parsebytes(b"content-type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        return {}, ["body: not multipart"]
    props = schema.get("properties", {})
    data: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if props.get(name, {}).get("format") == "binary":
            data[name] = payload.decode("latin-1")
        else:
            data[name] = coerce([payload.decode()], props.get(name, {}))
    return data, []


def validate(spec: Spec, request: Exchange) -> list[str]:
    """Every way `request` departs from the document (empty: it conforms)."""
    url = httpx.URL(request.url)
    label = f"{request.method} {url.path}"
    if url.host == TOKEN_HOST and url.path == TOKEN_PATH:
        fields = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        wanted = TOKEN_FORMS.get(fields.get("grant_type", ""))
        if wanted is None:
            return [f"{label}: unknown grant_type"]
        return [f"{label}: token form has {sorted(fields)}, expected {sorted(wanted)}"] if set(fields) != wanted else []
    if url.host != API_HOST:
        return [f"{label}: host {url.host} is not the Open API's"]
    found = spec.find(request.method, url.path)
    if found is None:
        return [f"{label}: no operation in the document"]
    template, op, params, ids = found
    where = f"{request.method} {template} ({op.get('operationId')})"
    errors: list[str] = []
    query = url.params
    declared = {p["name"]: p for p in params if p.get("in") == "query"}
    for name in set(query.keys()):
        if name not in declared:
            errors.append(f"{where}: undeclared query parameter {name}")
            continue
        errors += _errors(
            declared[name]["schema"], coerce(query.get_list(name), declared[name]["schema"]), f"{where} ?{name}"
        )
    for param in params:
        if param.get("in") == "path":
            errors += _errors(
                param["schema"], coerce([ids[param["name"]]], param["schema"]), f"{where} {{{param['name']}}}"
            )
        if param.get("in") == "query" and param.get("required") and param["name"] not in query:
            errors.append(f"{where}: missing required query parameter {param['name']}")
    headers = {k.lower(): v for k, v in request.headers.items()}
    security = op.get("security") or spec.doc.get("security") or []
    if any("api_key" in s for s in security) and ":" not in headers.get("x-api-key", ""):
        errors.append(f"{where}: x-api-key must be keystring:shared_secret")
    if any("oauth2" in s for s in security) and not headers.get("authorization", "").startswith("Bearer "):
        errors.append(f"{where}: no bearer token")
    body_spec = op.get("requestBody")
    if body_spec is None:
        if request.body:
            errors.append(f"{where}: a body where the operation takes none")
        return errors
    content_type = headers.get("content-type", "").split(";")[0].strip()
    content = body_spec.get("content", {})
    if content_type not in content:
        return [*errors, f"{where}: content type {content_type!r} not in {sorted(content)}"]
    schema = spec.resolve(content[content_type]["schema"])
    if content_type == "application/json":
        try:
            data: Any = json.loads(request.body)
        except ValueError:
            return [*errors, f"{where}: body is not JSON"]
    elif content_type == "application/x-www-form-urlencoded":
        data, extra = _form_body(request.body, schema)
        errors += extra
    elif content_type == "multipart/form-data":
        data, extra = _multipart_body(request.body, headers["content-type"], schema)
        errors += extra
    else:
        return [*errors, f"{where}: cannot check {content_type}"]
    return errors + _errors(schema, data, f"{where} body")


@cache
def load_spec() -> Spec | None:
    path = spec_path()
    return Spec(path) if path else None
