# mypy: disable-error-code="empty-body"
"""The plugin API: pluggy hook specifications of project `fusionhub`.

A platform plugin implements `fusionhub_manifest` and the hooks of the capabilities it
declares native or workaround (but not those it declares as a `fan_out`: core runs them).
Core calls a capability hook for one platform: that platform's hookimpl answers, inside the
`wrapper=True` hookimpls of any plugin (tracing, audit). Any plugin (metrics exporters,
alerting) may implement the observer hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from fusionhub import params as p

if TYPE_CHECKING:
    from fusionhub.capabilities import DeleteResult, InventoryLevels
    from fusionhub.clock import Clock
    from fusionhub.context import StoreContext
    from fusionhub.contracts import PluginManifest
    from fusionhub.http.config import HttpConfig
    from fusionhub.models import (
        BulkResult,
        Event,
        EventBatch,
        InventoryLevel,
        InventorySyncResult,
        OperationHandle,
        Order,
        Page,
        Product,
        Refund,
        WebhookSubscriptions,
    )
    from fusionhub.observability.jobs import JobSettled, QueueDepth
    from fusionhub.observability.records import Alert, ApiCall, CapabilityCall
    from fusionhub.sandbox import Sandbox
    from fusionhub.stores import Store

PROJECT = "fusionhub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- what a platform plugin is -------------------------------------------------------------


@hookspec(firstresult=True)
def fusionhub_manifest() -> PluginManifest | Mapping[str, Any]:
    """The plugin's manifest (a PluginManifest or its dict form). Must not do I/O."""


@hookspec(firstresult=True)
def fusionhub_http_config(store: Store) -> HttpConfig:
    """How to reach the platform for this store: base URL, auth flow, rate-header feedback."""


@hookspec(firstresult=True)
def fusionhub_sandbox(clock: Clock, options: Mapping[str, Any]) -> Sandbox:
    """A fresh in-process fake of the platform running on `clock`."""


@hookspec(firstresult=True)
async def fusionhub_poll_operation(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    """One poll of a long-running operation; return the updated handle (never sleep here)."""


@hookspec(firstresult=True)
async def fusionhub_reconcile(ctx: StoreContext, capability: str, params: Any) -> Any | None:
    """The effect an earlier run of this write left on the platform, found there (by SKU, by a
    marker the plugin wrote), returned as the capability's result; None when there is none and
    the write must be sent. Core calls it only for a capability declaring `once = "reconcile"`,
    and only when an earlier run of the same call may have reached the platform (`ctx.rerun`).
    """


@hookspec(firstresult=True)
async def fusionhub_parse_webhook(
    store: Store, headers: Mapping[str, str], body: bytes, url: str | None
) -> list[Event]:
    """Verify a webhook delivery's signature over the raw body and return its normalized events.

    `url` is the URL the delivery was posted to (path and query) when the host passes it, else None:
    a platform that does not sign its deliveries is verified by a secret in its callback URL. A
    hookimpl may leave `url` out, like any hookspec argument it does not use.
    Raise AuthError on a bad signature (or secret) and ValidationError on a malformed body.
    """


@hookspec(firstresult=True)
async def fusionhub_poll_events(ctx: StoreContext, cursor: str | None) -> EventBatch:
    """For platforms without webhooks: the events since `cursor` and the next cursor."""


# --- the 15 standard capabilities ----------------------------------------------------------
# Their docstrings come from the capability table (fusionhub.capabilities), set below.


@hookspec(firstresult=True)
async def fusionhub_list_products(ctx: StoreContext, params: p.ListProductsParams) -> Page[Product]: ...


@hookspec(firstresult=True)
async def fusionhub_get_product(ctx: StoreContext, params: p.GetProductParams) -> Product: ...


@hookspec(firstresult=True)
async def fusionhub_create_product(ctx: StoreContext, params: p.CreateProductParams) -> Product: ...


@hookspec(firstresult=True)
async def fusionhub_update_product(ctx: StoreContext, params: p.UpdateProductParams) -> Product: ...


@hookspec(firstresult=True)
async def fusionhub_delete_product(ctx: StoreContext, params: p.DeleteProductParams) -> DeleteResult: ...


@hookspec(firstresult=True)
async def fusionhub_bulk_update(ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult: ...


@hookspec(firstresult=True)
async def fusionhub_sync_inventory(ctx: StoreContext, params: p.SyncInventoryParams) -> InventorySyncResult: ...


@hookspec(firstresult=True)
async def fusionhub_get_inventory(ctx: StoreContext, params: p.GetInventoryParams) -> InventoryLevels: ...


@hookspec(firstresult=True)
async def fusionhub_update_variant_inventory(
    ctx: StoreContext, params: p.UpdateVariantInventoryParams
) -> InventoryLevel: ...


@hookspec(firstresult=True)
async def fusionhub_list_orders(ctx: StoreContext, params: p.ListOrdersParams) -> Page[Order]: ...


@hookspec(firstresult=True)
async def fusionhub_get_order(ctx: StoreContext, params: p.GetOrderParams) -> Order: ...


@hookspec(firstresult=True)
async def fusionhub_update_order_status(ctx: StoreContext, params: p.UpdateOrderStatusParams) -> Order: ...


@hookspec(firstresult=True)
async def fusionhub_process_refund(ctx: StoreContext, params: p.ProcessRefundParams) -> Refund: ...


@hookspec(firstresult=True)
async def fusionhub_webhooks(ctx: StoreContext, params: p.WebhooksParams) -> WebhookSubscriptions: ...


@hookspec(firstresult=True)
async def fusionhub_bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle: ...


# --- observers: any plugin may implement these ---------------------------------------------


@hookspec
def fusionhub_on_api_call(call: ApiCall) -> None:
    """After each HTTP request to a platform (already redacted)."""


@hookspec
def fusionhub_on_capability_call(call: CapabilityCall) -> None:
    """After each capability call, successful or not."""


@hookspec
def fusionhub_on_event(store: Store, event: Event) -> None:
    """For each new normalized platform event (webhook or polling), after duplicates are dropped."""


@hookspec
def fusionhub_on_alert(alert: Alert) -> None:
    """When something needs a person: a capability's error rate over its threshold, and so on."""


@hookspec
def fusionhub_on_job_settled(job: JobSettled) -> None:
    """After a worker settles a run of a job: its outcome (succeeded, failed with its error
    category, cancelled, waiting on per-item jobs, queued again, throttled, or lost_lease), its
    capability, store and platform, and how long the run took. Called in the worker's process."""


@hookspec
def fusionhub_on_queue_depth(depth: QueueDepth) -> None:
    """Every few seconds in each worker, while some plugin implements this hook: the unfinished
    jobs (queued, running, waiting) counted by platform, store and state, and the queued ones that
    are due. Every worker counts the same shared queue: aggregate with max, not sum."""


@hookspec
def fusionhub_start_exporters(process: str, metrics_port: int | None) -> Callable[[], None] | None:
    """A long-running process starts (`process` is "worker" or "serve"): start what exports its observations.

    `metrics_port` is the TCP port the user gave for metrics (`--metrics-port`,
    `FUSIONHUB_METRICS_PORT`), or None. Return a callable that stops what was started (the
    process calls it on the way out), or None when nothing was.
    """


PLATFORM_HOOKS = frozenset(
    {
        "fusionhub_manifest",
        "fusionhub_http_config",
        "fusionhub_sandbox",
        "fusionhub_poll_operation",
        "fusionhub_reconcile",
        "fusionhub_parse_webhook",
        "fusionhub_poll_events",
    }
)


def _document_capability_hooks() -> None:
    """Each capability hook's docstring is its row of the capability table: one source, no copy."""
    from fusionhub.capabilities import CAPABILITY_SPECS

    for spec in CAPABILITY_SPECS.values():
        result = getattr(spec.result, "__name__", str(spec.result))
        kind = "a write: it invalidates the store's read cache" if spec.writes else "a read"
        doc = f"{spec.summary}. Takes `{spec.params.__name__}`, returns `{result}`; {kind} ({spec.group})."
        globals()[spec.capability.hook_name].__doc__ = doc


_document_capability_hooks()
