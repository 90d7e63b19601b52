"""Bulk writes as JSON_LISTINGS_FEED submissions: a long-running operation the job runner polls.

Start: the items become PATCH messages; each run of up to 25,000 is a feed document, created
(createFeedDocument), uploaded to its signed URL and submitted (createFeed). The handle keeps
every document, feed and outcome, and asks to be polled again later: nothing here sleeps, and a
worker that crashes resumes from the stored handle. Poll: getFeed for each unfinished feed; when
one is DONE (or FATAL), getFeedDocument and the processing report downloaded (gunzipped when
Amazon says GZIP) give one outcome per message: accepted, or the issues with code, severity
and message. Amazon takes at most 5 feed submissions per 5 minutes per region: documents beyond
that wait in the handle for a later poll.
"""

from __future__ import annotations

import copy
import gzip
import json
from typing import Any

import httpx

from fusionhub.plugin import (
    BulkResult,
    OperationHandle,
    OperationStatus,
    PlatformError,
    RateLimited,
    StoreContext,
    TransientError,
    hookimpl,
    meta,
)
from fusionhub.plugin import (
    params as p,
)
from fusionhub_amazon import attributes
from fusionhub_amazon.client import SLUG, call, invalid, marketplace_id, seller_id

FEED_TYPE = "JSON_LISTINGS_FEED"
CONTENT_TYPE = "application/json; charset=UTF-8"
MAX_MESSAGES = 25_000  # per feed document (raised from 10,000 in 2025)
SUBMISSIONS, SUBMISSION_WINDOW = 5, 300.0  # per region
# Polls back off from FIRST_POLL to POLL_SECONDS: Amazon takes minutes (5-30) and getFeed allows
# 2/s, so a poll costs little; a small feed is seen done soon after it is.
FIRST_POLL, POLL_SECONDS = 5.0, 30.0
FINISHED = {"DONE", "FATAL", "CANCELLED"}
KIND = "feed"


def message(index: int, item: p.UpdateProductParams, marketplace: str) -> dict[str, Any]:
    """One PATCH message; offer-only patches (price, stock) go under the generic product type."""
    changes = item.changes
    patches = attributes.patches(changes, marketplace)
    given = changes.platform_fields.get("productType") or changes.product_type
    if not given and not attributes.offer_only(patches):
        raise invalid(f"items.{index}.changes.product_type", "a feed message needs the listing's product type")
    kind = str(given or attributes.OFFER_PRODUCT_TYPE)
    return {
        "messageId": index + 1,
        "sku": item.product_id,
        "operationType": "PATCH",
        "productType": kind,
        "patches": patches,
    }


def documents(ctx: StoreContext, items: list[p.UpdateProductParams]) -> list[dict[str, Any]]:
    """The feed documents of `items`, 25,000 messages each; messageIds count within each document."""
    market, seller = marketplace_id(ctx), seller_id(ctx)
    messages = [message(i, item, market) for i, item in enumerate(items)]
    out = []
    for start in range(0, len(messages), MAX_MESSAGES):
        chunk = [{**m, "messageId": m["messageId"] - start} for m in messages[start : start + MAX_MESSAGES]]
        out.append({"header": {"sellerId": seller, "version": "2.0"}, "messages": chunk})
    return out


async def upload(ctx: StoreContext, document: dict[str, Any]) -> str:
    """createFeedDocument, then the document PUT to its signed URL (no token goes there): its id."""
    created = await call(ctx, "createFeedDocument", json={"contentType": CONTENT_TYPE})
    body = json.dumps(document, separators=(",", ":")).encode()
    response = await ctx.http.put(
        created["url"],
        content=body,
        headers={"content-type": CONTENT_TYPE},
        extensions=meta(cost=0.0, operation="uploadFeedDocument"),
    )
    _transferred(response, "upload")
    return str(created["feedDocumentId"])


def _transferred(response: httpx.Response, what: str) -> None:
    """A signed-URL transfer's answer: S3's refusals are not SP-API errors (and never about our token)."""
    if response.status_code >= 500:
        raise TransientError(f"the feed document {what} failed with HTTP {response.status_code}", platform=SLUG)
    if response.status_code >= 300:
        raise PlatformError(
            f"the feed document {what} was refused with HTTP {response.status_code} (an expired signed URL?)",
            platform=SLUG,
        )


async def _submit_due(ctx: StoreContext, state: dict[str, Any]) -> None:
    """createFeed for waiting documents, within 5 submissions per 5 minutes.

    Amazon counts the 5 per region, over every feed of the seller: when it refuses one all the
    same (429), the document waits in the handle for a later poll instead of failing the run.
    """
    now = ctx.clock.now()
    recent = [t for t in state["submitted_at"] if t > now - SUBMISSION_WINDOW]
    for chunk in state["chunks"]:
        if chunk["feed_id"] is not None or len(recent) >= SUBMISSIONS:
            continue
        spec = {
            "feedType": FEED_TYPE,
            "marketplaceIds": [state["marketplace"]],
            "inputFeedDocumentId": chunk["document_id"],
        }
        try:
            created = await call(ctx, "createFeed", json=spec)
        except RateLimited:
            break
        chunk["feed_id"], chunk["status"] = str(created["feedId"]), "IN_QUEUE"
        recent.append(now)
    state["submitted_at"] = recent


async def start(ctx: StoreContext, items: list[p.UpdateProductParams]) -> OperationHandle:
    docs = documents(ctx, items)
    chunks = []
    for offset, document in zip(range(0, len(items), MAX_MESSAGES), docs, strict=True):
        document_id = await upload(ctx, document)
        chunks.append(
            {
                "document_id": document_id,
                "offset": offset,
                "size": len(document["messages"]),
                "feed_id": None,
                "status": "WAITING",
            }
        )
    state: dict[str, Any] = {
        "chunks": chunks,
        "submitted_at": [],
        "marketplace": marketplace_id(ctx),
        "errors": [],
        "interval": FIRST_POLL,
    }
    await _submit_due(ctx, state)
    return _handle(state, len(items))


def _handle(state: dict[str, Any], total: int) -> OperationHandle:
    chunks = state["chunks"]
    done = sum(c["size"] for c in chunks if c["status"] in FINISHED)
    finished = all(c["status"] in FINISHED for c in chunks)
    failed_items = {e["index"] for e in state["errors"]}
    status = OperationStatus.COMPLETED if finished else OperationStatus.RUNNING
    result = None
    if finished:
        result = {
            "total": total,
            "failed": len(failed_items),
            "errors": state["errors"],
            "feeds": [c["feed_id"] for c in chunks],
        }
    fatal = [c["feed_id"] for c in chunks if c["status"] in ("FATAL", "CANCELLED")]
    return OperationHandle(
        operation_id=",".join(str(c["feed_id"] or c["document_id"]) for c in chunks),
        kind=KIND,
        status=status,
        poll_after_seconds=float(state.get("interval", POLL_SECONDS)),
        done=done,
        total=total,
        result=result,
        error=f"feeds {', '.join(fatal)} ended FATAL or CANCELLED" if fatal and finished else None,
        state=state,
    )


async def _report(ctx: StoreContext, document_id: str) -> dict[str, Any]:
    """The processing report of a finished feed (getFeedDocument, then the signed URL, gunzipped if flagged)."""
    document = await call(ctx, "getFeedDocument", feedDocumentId=document_id)
    response = await ctx.http.get(document["url"], extensions=meta(cost=0.0, operation="downloadFeedDocument"))
    _transferred(response, "download")
    data = response.content
    if document.get("compressionAlgorithm") == "GZIP":
        data = gzip.decompress(data)
    report: dict[str, Any] = json.loads(data)
    return report


def outcomes(report: dict[str, Any], offset: int) -> list[dict[str, Any]]:
    """Each message with ERROR issues: its item index and the issues (code, severity, message)."""
    by_message: dict[int, list[str]] = {}
    for issue in report.get("issues") or []:
        if issue.get("severity") == "ERROR" and isinstance(issue.get("messageId"), int):
            text = f"{issue.get('code')} ({issue.get('severity')}) {issue.get('sku', '')}: {issue.get('message')}"
            by_message.setdefault(issue["messageId"], []).append(text)
    return [{"index": offset + m - 1, "errors": texts} for m, texts in sorted(by_message.items())]


@hookimpl
async def poll_operation(ctx: StoreContext, handle: OperationHandle) -> OperationHandle:
    if handle.kind != KIND or handle.finished:
        return handle
    state = copy.deepcopy(handle.state)  # the caller's handle stays as it was if this poll fails
    state["interval"] = min(POLL_SECONDS, 2 * float(state.get("interval", FIRST_POLL)))
    for chunk in state["chunks"]:
        if chunk["feed_id"] is None or chunk["status"] in FINISHED:
            continue
        feed = await call(ctx, "getFeed", feedId=chunk["feed_id"])
        status = str(feed["processingStatus"])
        if status in FINISHED:
            result_id = feed.get("resultFeedDocumentId")
            report = await _report(ctx, str(result_id)) if result_id else {}
            found = outcomes(report, chunk["offset"])
            if status != "DONE" and not found:  # the whole feed was refused: every item, with the reason
                said = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in report.get("issues") or [])
                message = f"feed {chunk['feed_id']} ended {status}" + (f": {said}" if said else "")
                found = [{"index": chunk["offset"] + i, "errors": [message]} for i in range(chunk["size"])]
            state["errors"].extend(found)
        chunk["status"] = status
    await _submit_due(ctx, state)
    return _handle(state, int(handle.total or 0))


@hookimpl
async def bulk_update(ctx: StoreContext, params: p.BulkUpdateParams) -> BulkResult:
    handle = await start(ctx, params.items)
    return BulkResult(total=len(params.items), succeeded=0, failed=0, items=[], operation=handle)


@hookimpl
async def bulk_operations(ctx: StoreContext, params: p.BulkOperationsParams) -> OperationHandle:
    if params.handle is not None:
        return await poll_operation(ctx, params.handle)
    if params.kind is not p.BulkOperationKind.UPDATE_PRODUCTS:
        raise invalid("params.kind", "Amazon's bulk path is the listings feed: only update_products")
    return await start(ctx, params.items)
