"""The jobs pages and API: a bulk run from a store's page, its per-item counts moving as a worker
finishes items, cancel (with the CSRF token), the list's filters."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from serve_fixtures import TOKEN, Served, csrf_of, sign_in

from fusionhub.jobs import Worker

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def bulk_of(served: Served, n: int) -> dict[str, Any]:
    """A bulk_update of the first n sample products (Gumroad fans it out: one job per item)."""
    products = list(served.gumroad.world.products)[:n]
    return {"items": [{"product_id": p, "changes": {"tags": ["ebook", "sale"]}} for p in products]}


async def step(served: Served, worker: Worker) -> None:
    """Run the next due job, as a worker would."""
    job = await served.runtime.queue.claim(worker.id, now=served.runtime.clock.now(), lease_seconds=60)
    assert job is not None
    await worker.process(job)


async def finish_items(served: Served, worker: Worker, job_id: str, n: int) -> None:
    """Run due jobs one at a time until n of the bulk's items succeeded (Gumroad's budget is one call
    a second, so a throttled item waits its turn, as in a worker)."""
    deadline = asyncio.get_running_loop().time() + 60
    while (await detail(served, job_id))["items"]["succeeded"] < n:
        assert asyncio.get_running_loop().time() < deadline
        job = await served.runtime.queue.claim(worker.id, now=served.runtime.clock.now(), lease_seconds=60)
        if job is None:
            await asyncio.sleep(0.05)
            continue
        await worker.process(job)


async def detail(served: Served, job_id: str) -> dict[str, Any]:
    answer = await served.client.get(f"/api/jobs/{job_id}", headers=AUTH)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def cell(page: str, status: str) -> int:
    found = re.search(rf'<td id="items-{status}">(\d+)</td>', page)
    assert found, page
    return int(found.group(1))


async def test_a_bulk_run_from_the_store_page_shows_its_items_finishing_and_cancels(served: Served) -> None:
    await sign_in(served.client)
    csrf = csrf_of(await served.client.get("/stores/gumroad"))
    form = {"csrf": csrf, "capability": "bulk_update", "params": json.dumps(bulk_of(served, 6))}
    started = await served.client.post("/stores/gumroad/run", data=form)
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    job_id = started.headers["location"].removeprefix("/jobs/")
    first = await detail(served, job_id)
    assert first["status"] == "queued" and first["mode"] == "interactive" and first["percent"] is None
    assert set(first["items"].values()) == {0}
    assert 'id="queued-hint"' in (await served.client.get(f"/jobs/{job_id}")).text  # who runs it

    worker = Worker(served.runtime, concurrency=1)
    await step(served, worker)  # the bulk fans out: six per-item jobs, the parent waits for them
    fanned = await detail(served, job_id)
    assert fanned["status"] == "waiting" and fanned["items"]["queued"] == 6 and fanned["progress_total"] == 6
    await finish_items(served, worker, job_id, 3)
    moved = await detail(served, job_id)
    assert moved["items"] == {"queued": 3, "running": 0, "succeeded": 3, "failed": 0, "cancelled": 0}
    assert moved["progress_done"] == 3 and moved["percent"] == 50
    polled = (await served.client.get(f"/api/jobs/{job_id}/progress")).json()  # what the page polls
    assert polled == {k: moved[k] for k in polled} and "params" not in polled and polled["percent"] == 50

    page = await served.client.get(f"/jobs/{job_id}")
    assert page.status_code == 200 and 'id="queued-hint"' not in page.text
    assert cell(page.text, "succeeded") == 3 and cell(page.text, "queued") == 3
    assert 'value="50"' in page.text and "fetch(url" in page.text  # polled live until it finishes

    refused = await served.client.post(f"/jobs/{job_id}/cancel", data={"csrf": "forged-token"})
    assert refused.status_code == 403 and (await detail(served, job_id))["status"] == "waiting"
    done = await served.client.post(f"/jobs/{job_id}/cancel", data={"csrf": csrf_of(page)})
    assert done.status_code == 303 and done.headers["location"] == f"/jobs/{job_id}"
    cancelled = await detail(served, job_id)
    assert cancelled["status"] == "cancelled"
    assert cancelled["items"] == {"queued": 0, "running": 0, "succeeded": 3, "failed": 0, "cancelled": 3}
    after = (await served.client.get(f"/jobs/{job_id}")).text
    assert "Cancel the job" not in after and "fetch(url" not in after

    listing = await served.client.get("/jobs", params={"status": "cancelled", "store": "gumroad"})
    assert listing.text.count('<tr data-status="cancelled">') == 1 and f'href="/jobs/{job_id}"' in listing.text
    assert '<tr data-status="' not in (await served.client.get("/jobs", params={"status": "succeeded"})).text
    assert (await served.client.get("/jobs", params={"status": "sideways"})).status_code == 400
    assert (await served.client.get("/jobs", params={"store": "no-such-store"})).status_code == 404


async def test_a_finished_bulk_is_100_percent_with_its_result(served: Served) -> None:
    made = await served.client.post(
        "/api/jobs", headers=AUTH, json={"store": "gumroad", "capability": "bulk_update", "params": bulk_of(served, 3)}
    )
    assert made.status_code == 201, made.text
    await Worker(served.runtime, concurrency=2).run_until_idle()
    job = await detail(served, made.json()["id"])
    assert job["status"] == "succeeded" and job["percent"] == 100 and job["items"]["succeeded"] == 3
    page = (await served.client.get(f"/jobs/{job['id']}", headers=AUTH)).text
    assert 'id="job-result"' in page and "succeeded" in page


async def test_runs_the_contract_or_the_params_refuse_are_refused_before_anything_is_queued(served: Served) -> None:
    await sign_in(served.client)
    csrf = csrf_of(await served.client.get("/stores/gumroad"))
    for capability, params, said in (
        ("sync_inventory", "{}", "sync_inventory"),  # unsupported on Gumroad: its explanation
        ("bulk_update", "{not json", "params: not JSON"),
        ("bulk_update", "[1, 2]", "a JSON object"),
        ("bulk_update", '{"items": []}', "items"),
        ("launch_rocket", "{}", "unknown capability"),
    ):
        answer = await served.client.post(
            "/stores/gumroad/run", data={"csrf": csrf, "capability": capability, "params": params}
        )
        assert answer.status_code == 400, (capability, answer.text)
        assert said in answer.text and 'role="alert"' in answer.text, (capability, answer.text)
    assert await served.runtime.queue.list() == []
    gone = await served.client.post("/stores/no-such/run", data={"csrf": csrf, "capability": "list_products"})
    assert gone.status_code == 404


async def test_the_jobs_api_names_what_is_wrong(served: Served) -> None:
    for body, field in (
        ({"capability": "list_products"}, "store"),
        ({"store": "gumroad", "capability": "list_products", "params": [1]}, "params"),
        ({"store": "gumroad", "capability": "list_products", "colour": "red"}, "colour"),
        ({"store": "gumroad", "capability": "bulk_update", "params": {"items": []}}, "items"),
    ):
        answer = await served.client.post("/api/jobs", headers=AUTH, json=body)
        assert answer.status_code == 400, answer.text
        assert field in json.dumps(answer.json()["errors"]), answer.json()
    not_json = await served.client.post("/api/jobs", headers=AUTH, content=b"{")
    assert not_json.status_code == 400 and not_json.json()["errors"][0]["loc"] == "body"
    unknown = await served.client.post("/api/jobs", headers=AUTH, json={"store": "nope", "capability": "list_products"})
    assert unknown.status_code == 404
    for path in ("/api/jobs/not-a-uuid", "/api/jobs/00000000-0000-4000-8000-000000000000"):
        assert (await served.client.get(path, headers=AUTH)).status_code == 404
        assert (await served.client.post(f"{path}/cancel", headers=AUTH)).status_code == 404
    assert (await served.client.post("/api/jobs", json={"store": "gumroad", "capability": "x"})).status_code == 401
    keyed = {"store": "gumroad", "capability": "list_products", "idempotency_key": "nightly-2026-12-02"}
    first = await served.client.post("/api/jobs", headers=AUTH, json=keyed)
    again = await served.client.post("/api/jobs", headers=AUTH, json=keyed)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]


async def test_long_params_are_shortened_on_the_page_and_whole_in_the_api(served: Served) -> None:
    product = next(iter(served.gumroad.world.products))
    long = {"items": [{"product_id": product, "changes": {"description": "lorem ipsum " * 2500}}]}
    made = await served.client.post(
        "/api/jobs", headers=AUTH, json={"store": "gumroad", "capability": "bulk_update", "params": long}
    )
    assert made.status_code == 201, made.text
    page = (await served.client.get(f"/jobs/{made.json()['id']}", headers=AUTH)).text
    assert 'id="clipped"' in page and page.count("lorem ipsum") < 2500
    whole = (await served.client.get(f"/api/jobs/{made.json()['id']}", headers=AUTH)).json()
    assert whole["params"] == long
