"""The OpenAPI 3.1 document of the JSON API and the receiver, as data (served at /api/openapi.json;
the tests validate every answer against it)."""

from __future__ import annotations

from typing import Any

from fusionhub.capabilities import Capability
from fusionhub.jobs import JobStatus
from fusionhub.serve.jobs_view import ITEM_STATUSES
from fusionhub.version import __version__

NULLABLE_NUMBER = {"type": ["number", "null"]}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INTEGER = {"type": ["integer", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["loc", "msg"],
                    "properties": {"loc": {"type": "string"}, "msg": {"type": "string"}},
                },
            },
        },
    },
    "Store": {
        "type": "object",
        "required": ["id", "name", "platform", "config", "enabled", "created_at", "updated_at"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "platform": {"type": "string"},
            "config": {"type": "object"},
            "enabled": {"type": "boolean"},
            "created_at": {"type": "number"},
            "updated_at": {"type": "number"},
            "problem": {
                "type": ["object", "null"],
                "description": "set when its plugin refuses the store as saved: what is wrong and the fix",
            },
            "credential_fields": {
                "type": "array",
                "items": {"type": "string"},
                "description": "which credential keys it holds (never their values)",
            },
            "jobs": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "jobs per status"},
        },
    },
    "NewStore": {
        "type": "object",
        "required": ["name", "platform", "credentials"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "not a UUID"},
            "platform": {"type": "string", "minLength": 1, "description": "a loaded platform plugin's slug"},
            "credentials": {"type": "object", "description": "what the plugin's credential_fields name"},
            "config": {"type": "object", "description": "checked against the plugin's config_schema"},
        },
    },
    "StoreChange": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "enabled": {"type": "boolean"},
            "config": {"type": "object", "description": "the whole config (replaces it)"},
            "credentials": {"type": "object", "description": "the keys to set; the others are kept"},
        },
    },
    "Contract": {
        "type": "object",
        "required": ["level", "automation_enabled", "explanation", "manual_workaround", "workaround"],
        "properties": {
            "level": {"enum": ["native", "workaround", "unsupported", None]},
            "automation_enabled": {"type": "boolean"},
            "explanation": NULLABLE_STRING,
            "manual_workaround": NULLABLE_STRING,
            "workaround": {"type": ["object", "null"]},
            "constraints": {"type": ["object", "null"]},
            "scopes": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Plugin": {
        "type": "object",
        "required": ["slug", "status", "distribution", "capabilities"],
        "properties": {
            "slug": {"type": "string"},
            "status": {"enum": ["loaded", "failed", "blocked", "incompatible"]},
            "distribution": NULLABLE_STRING,
            "error": NULLABLE_STRING,
            "hint": NULLABLE_STRING,
            "capabilities": {
                "type": "object",
                "required": [c.value for c in Capability],
                "additionalProperties": _ref("Contract"),
            },
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "store_id", "capability", "status", "created_at", "progress_done", "progress_total"],
        "properties": {
            "id": {"type": "string"},
            "store_id": {"type": "string"},
            "capability": {"type": "string"},
            "status": {"enum": [s.value for s in JobStatus]},
            "params": {"type": "object"},
            "created_at": {"type": "number"},
            "finished_at": NULLABLE_NUMBER,
            "progress_done": {"type": "integer"},
            "progress_total": NULLABLE_INTEGER,
            "error_category": NULLABLE_STRING,
            "error_message": NULLABLE_STRING,
        },
    },
    "Progress": {
        "type": "object",
        "required": ["id", "status", "progress_done", "progress_total", "finished_at", "items", "percent"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": [s.value for s in JobStatus]},
            "progress_done": {"type": "integer", "minimum": 0},
            "progress_total": NULLABLE_INTEGER,
            "finished_at": NULLABLE_NUMBER,
            "error_category": NULLABLE_STRING,
            "error_message": NULLABLE_STRING,
            "items": {
                "type": "object",
                "description": "per-item jobs of a fanned-out bulk, by status (all zero: not fanned out)",
                "required": ITEM_STATUSES,
                "additionalProperties": False,
                "properties": {s: {"type": "integer", "minimum": 0} for s in ITEM_STATUSES},
            },
            "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
        },
    },
    "JobDetail": {"allOf": [_ref("Job"), _ref("Progress")]},
    "NewJob": {
        "type": "object",
        "required": ["store", "capability"],
        "additionalProperties": False,
        "properties": {
            "store": {"type": "string", "description": "name or id"},
            "capability": {"enum": [c.value for c in Capability]},
            "params": {"type": "object", "description": "the capability's params (see the reference)"},
            "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 255},
        },
    },
    "Check": {
        "type": "object",
        "required": ["store", "ok", "message"],
        "additionalProperties": False,
        "properties": {"store": {"type": "string"}, "ok": {"type": "boolean"}, "message": {"type": "string"}},
    },
    "Event": {
        "type": "object",
        "required": ["id", "store_id", "platform", "type", "delivery_id", "source", "received_at", "payload"],
        "properties": {
            "id": {"type": "string"},
            "store_id": {"type": "string"},
            "platform": {"type": "string"},
            "type": {"type": "string"},
            "delivery_id": {"type": "string"},
            "resource_id": NULLABLE_STRING,
            "topic": NULLABLE_STRING,
            "source": {"type": "string"},
            "occurred_at": NULLABLE_NUMBER,
            "received_at": {"type": "number"},
            "payload": {"type": "object"},
        },
    },
    "Ingested": {
        "type": "object",
        "required": ["new", "duplicates"],
        "additionalProperties": False,
        "properties": {"new": {"type": "integer", "minimum": 0}, "duplicates": {"type": "integer", "minimum": 0}},
    },
}

UNAUTHORIZED = _json(_ref("Error"), "no valid bearer token or session")
BAD = _json(_ref("Error"), "a parameter is wrong or unknown (which, and why)")
NOT_FOUND = _json(_ref("Error"), "no such store")
NO_JOB = _json(_ref("Error"), "no such job (or not a job id)")
STORE_PATH = {
    "name": "store",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "name or id",
}
JOB_PATH = {"name": "job", "in": "path", "required": True, "schema": {"type": "string"}, "description": "the job's id"}


def _get(summary: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    responses = {"200": _json(schema, summary), "400": BAD, "401": UNAUTHORIZED, **more.pop("responses", {})}
    return {"get": {"summary": summary, "security": [{"bearer": []}], "responses": responses, **more}}


def _post(summary: str, schema: dict[str, Any], status: str = "200", **more: Any) -> dict[str, Any]:
    return _method("post", summary, schema, status, **more)


def _method(method: str, summary: str, schema: dict[str, Any], status: str = "200", **more: Any) -> dict[str, Any]:
    """A change: besides its answer, 400 (which field), 401 and 403 (a cookie without the CSRF header)."""
    responses = {
        status: _json(schema, summary),
        "400": BAD,
        "401": UNAUTHORIZED,
        "403": _json(_ref("Error"), "signed in by cookie, without the session's CSRF token in X-CSRF-Token"),
        **more.pop("responses", {}),
    }
    return {method: {"summary": summary, "security": [{"bearer": []}], "responses": responses, **more}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Fusion Stage Hub", "version": __version__},
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "the admin token"}},
    },
    "paths": {
        "/api/stores": {
            **_get(
                "The stores (never their credentials), each with its problem when its plugin refuses it as saved",
                {"type": "array", "items": _ref("Store")},
            ),
            **_post(
                "Add a store (`fusionhub stores add`): its credentials and config checked by its plugin first",
                _ref("Store"),
                "201",
                requestBody={"required": True, "content": {"application/json": {"schema": _ref("NewStore")}}},
                responses={"409": _json(_ref("Error"), "a store of that name exists")},
            ),
        },
        "/api/plugins": _get("Every plugin found, loaded or not", {"type": "array", "items": _ref("Plugin")}),
        "/api/capabilities": _get(
            "{capability: {platform: contract}} for the loaded platforms",
            {
                "type": "object",
                "required": [c.value for c in Capability],
                "additionalProperties": False,
                "properties": {
                    c.value: {"type": "object", "additionalProperties": _ref("Contract")} for c in Capability
                },
            },
        ),
        "/api/jobs": {
            **_post(
                "Queue a capability for a store as a person's job (`fusionhub run`); refused before queueing "
                "when the store, the capability's contract or the params would refuse it when it runs",
                _ref("JobDetail"),
                "201",
                requestBody={"required": True, "content": {"application/json": {"schema": _ref("NewJob")}}},
                responses={"400": BAD, "404": NOT_FOUND},
            ),
            **_get(
                "Newest top-level jobs first",
                {"type": "array", "items": _ref("Job")},
                parameters=[
                    _query("status", {"enum": [s.value for s in JobStatus]}, "only jobs in this status"),
                    _query("store", {"type": "string"}, "only this store's jobs (name or id)"),
                    _query(
                        "limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, "at most this many"
                    ),
                ],
                responses={"400": BAD, "404": NOT_FOUND},
            ),
        },
        "/api/jobs/{job}/progress": _get(
            "What moves while a job runs, without its params or result (what the job page polls)",
            _ref("Progress"),
            parameters=[JOB_PATH],
            responses={"404": NO_JOB},
        ),
        "/api/jobs/{job}": _get(
            "One job with its per-item counts",
            _ref("JobDetail"),
            parameters=[JOB_PATH],
            responses={"404": NO_JOB},
        ),
        "/api/jobs/{job}/cancel": _post(
            "Cancel a job and its queued items; a running one stops at its worker's next heartbeat",
            _ref("JobDetail"),
            parameters=[JOB_PATH],
            responses={"404": NO_JOB},
        ),
        "/api/stores/{store}": {
            **_get(
                "One store: which credential keys it holds (never their values), its jobs per status",
                _ref("Store"),
                parameters=[STORE_PATH],
                responses={"404": NOT_FOUND},
            ),
            **_method(
                "patch",
                "Change any of enabled, config, credentials (`fusionhub stores update|enable|disable`); "
                "every mistake reported before anything is saved",
                _ref("Store"),
                parameters=[STORE_PATH],
                requestBody={"required": True, "content": {"application/json": {"schema": _ref("StoreChange")}}},
                responses={"404": NOT_FOUND},
            ),
            **_method(
                "delete",
                "Remove the store with its credentials, jobs and events; answers what was removed",
                _ref("Store"),
                parameters=[STORE_PATH],
                responses={"404": NOT_FOUND},
            ),
        },
        "/api/stores/{store}/check": _post(
            "One cheap authenticated call to the platform; `ok` says whether it answered",
            _ref("Check"),
            parameters=[STORE_PATH],
            responses={"404": NOT_FOUND},
        ),
        "/api/events": _get(
            "Newest events first (verified webhook deliveries and polled changes)",
            {"type": "array", "items": _ref("Event")},
            parameters=[
                _query("store", {"type": "string"}, "only this store's events (name or id)"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}, "at most this many"),
            ],
            responses={"400": BAD, "404": NOT_FOUND},
        ),
        "/webhooks/{store}": {
            "post": {
                "summary": "A platform's webhook delivery, verified by the store's plugin",
                "parameters": [{"name": "store", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"*/*": {"schema": {}}}},
                "responses": {
                    "200": _json(_ref("Ingested"), "verified; new events stored, repeats counted"),
                    "400": _json(_ref("Error"), "verified but malformed"),
                    "401": _json(_ref("Error"), "signature missing, wrong or replayed; nothing stored"),
                    "404": _json(_ref("Error"), "no such store, or its platform takes no webhooks"),
                    "413": _json(_ref("Error"), "body over 5 MiB"),
                    "503": _json(_ref("Error"), "the store cannot be opened here (its plugin or its keys are missing)"),
                },
            }
        },
    },
}
