"""Storage on SQLite and PostgreSQL: migrations, registration, stores, encrypted credentials, buckets, events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from runtime_db import database  # noqa: F401 - the parametrized fixture
from runtime_fakes import SLUG, FakePlatform, registry, signature

from fusionhub.capabilities import Capability
from fusionhub.errors import AuthError, NotFound, ValidationError
from fusionhub.models import Event
from fusionhub.ratelimit import BucketShape, Charge
from fusionhub.ratelimit.sql_store import SqlBucketStore
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring, SecretsError
from fusionhub.storage import Database
from fusionhub.storage.migrate import current, head, upgrade
from fusionhub.storage.schema import jobs, plugin_contracts, plugins, stores
from fusionhub.stores.service import StoreConflict

TABLES = {"plugins", "plugin_contracts", "plugin_instances", "stores", "jobs", "rate_buckets", "events"}


def keyring() -> Keyring:
    return Keyring([Fernet.generate_key().decode()], "test keys")


@pytest.fixture
async def runtime(database: Database) -> AsyncIterator[Runtime]:  # noqa: F811
    rt = Runtime(database, registry=registry(slugs=(SLUG, "othertest")), keyring=keyring())
    await rt.register_plugins()
    yield rt
    await rt.hub.aclose()


async def test_migrations_create_every_table_and_rerun_as_no_op(database: Database) -> None:  # noqa: F811
    def names(conn: sa.Connection) -> set[str]:
        return set(sa.inspect(conn).get_table_names())

    async with database.read() as conn:
        assert await conn.run_sync(names) >= TABLES
    assert await current(database) == head()
    await upgrade(database)  # idempotent
    assert await current(database) == head()


async def test_registration_upserts_keeps_the_hosts_automation_choice_and_deactivates(runtime: Runtime) -> None:
    async with runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(plugins.c.slug, plugins.c.is_active).order_by(plugins.c.slug))).all()
        contracts = (await conn.execute(sa.select(sa.func.count()).select_from(plugin_contracts))).scalar_one()
    assert [tuple(r) for r in rows] == [("othertest", True), (SLUG, True)]
    assert contracts == 2 * len(Capability)

    await runtime.set_automation(SLUG, "bulk_update", False)
    again = Runtime(runtime.db, registry=registry(), keyring=keyring())  # othertest is uninstalled now
    report = await again.register_plugins()
    assert report.deactivated == ["othertest"]
    assert again.hub.automation_enabled(SLUG, Capability.BULK_UPDATE) is False
    async with runtime.db.read() as conn:
        row = (
            await conn.execute(
                sa.select(
                    plugin_contracts.c.automation_enabled, plugin_contracts.c.level, plugin_contracts.c.constraints
                )
                .join(plugins, plugins.c.id == plugin_contracts.c.plugin_id)
                .where(plugins.c.slug == SLUG, plugin_contracts.c.capability == "bulk_update")
            )
        ).one()
        active = dict((await conn.execute(sa.select(plugins.c.slug, plugins.c.is_active))).all())
    assert row[0] is False and row[1] == "workaround" and row[2]["max_retries"] == 2
    assert active == {SLUG: True, "othertest": False}  # inactive, not deleted


async def test_store_lifecycle_one_platform_per_store(runtime: Runtime) -> None:
    shop = await runtime.stores.add("shop", SLUG, {"api_key": "k1"}, {"region": "eu"})
    other = await runtime.stores.add("second", "othertest", {"api_key": "k2"})
    assert [s.name for s in await runtime.stores.list()] == ["second", "shop"]
    assert (await runtime.stores.get("shop")).id == shop.id == (await runtime.stores.get(shop.id)).id
    with pytest.raises(StoreConflict, match="exactly one platform"):
        await runtime.stores.connect("shop", "othertest")
    with pytest.raises(StoreConflict, match="exists already"):
        await runtime.stores.add("shop", SLUG, {"api_key": "k3"})
    updated = await runtime.stores.connect("shop", SLUG, {"region": "us"})
    assert updated.config == {"region": "us"}
    assert not (await runtime.stores.set_enabled("shop", False)).is_enabled
    assert (await runtime.stores.set_enabled("shop", True)).is_enabled
    await runtime.enqueue("shop", "get_product", {"product_id": "p1"})
    await runtime.stores.remove("shop")
    with pytest.raises(NotFound):
        await runtime.stores.get("shop")
    async with runtime.db.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(jobs))).scalar_one() == 0  # cascaded
    assert [s.id for s in await runtime.stores.list()] == [other.id]


async def test_credentials_are_checked_against_the_manifest_before_saving(runtime: Runtime) -> None:
    with pytest.raises(ValidationError) as caught:
        await runtime.stores.add("shop", SLUG, {"token": "x"})
    assert caught.value.errors[0]["loc"] == "credentials.api_key"
    with pytest.raises(ValidationError):
        await runtime.stores.add("shop", "nosuchplatform", {"api_key": "x"})
    assert await runtime.stores.list() == []


async def test_credentials_are_encrypted_at_rest_and_rotate(runtime: Runtime) -> None:
    await runtime.stores.add("shop", SLUG, {"api_key": "plain-canary-value"})
    async with runtime.db.read() as conn:
        token = (await conn.execute(sa.select(stores.c.credentials_encrypted))).scalar_one()
    assert "plain-canary-value" not in token
    assert (await runtime.stores.load("shop")).credentials["api_key"] == "plain-canary-value"

    stranger = keyring()
    runtime.stores._keyring = lambda: stranger
    with pytest.raises(SecretsError, match="none of the 1 key"):
        await runtime.stores.load("shop")
    with pytest.raises(SecretsError):
        await runtime.stores.rotate_keys(stranger)
    async with runtime.db.read() as conn:  # the failed rotation wrote nothing
        assert (await conn.execute(sa.select(stores.c.credentials_encrypted))).scalar_one() == token

    old = runtime._keyring
    assert old is not None
    newest = Fernet.generate_key().decode()
    both = Keyring([newest, *old._keys], "rotated keys")
    assert await runtime.stores.rotate_keys(both) == 1
    only_new = Keyring([newest], "new key only")
    runtime.stores._keyring = lambda: only_new
    assert (await runtime.stores.load("shop")).credentials["api_key"] == "plain-canary-value"


async def test_rotated_tokens_from_the_http_layer_are_persisted_encrypted(runtime: Runtime) -> None:
    await runtime.stores.add("shop", SLUG, {"api_key": "old"})
    ctx = await runtime.context("shop")
    assert ctx.save_credentials is not None
    await ctx.save_credentials(ctx.credentials.replace(api_key="rotated-token"))
    assert (await runtime.stores.load("shop")).credentials["api_key"] == "rotated-token"
    async with runtime.db.read() as conn:
        assert "rotated-token" not in (await conn.execute(sa.select(stores.c.credentials_encrypted))).scalar_one()


async def test_sql_bucket_store_spends_all_or_nothing_under_concurrency(database: Database) -> None:  # noqa: F811
    buckets = SqlBucketStore(database)
    small, big = BucketShape("s:small", 10, 0.0001), BucketShape("s:big", 1000, 0.0001)
    results = await asyncio.gather(*(buckets.acquire([Charge(small, 1), Charge(big, 1)], 100.0) for _ in range(30)))
    assert results.count(0.0) == 10 and all(r > 0 for r in results if r)
    assert (await buckets.snapshot(big, 100.0)).tokens == pytest.approx(990)  # refused charges spent nothing
    assert await buckets.acquire([Charge(small, 1)], 100.0 + 1 / 0.0001) == 0.0  # refilled
    level = await buckets.adjust(small, 100.0 + 1 / 0.0001, tokens=3, refund=2)
    assert level.tokens == pytest.approx(5)
    assert (await buckets.adjust(small, 100.0 + 1 / 0.0001, refund=100)).tokens == pytest.approx(10)


async def test_webhooks_are_verified_stored_once_and_observed(runtime: Runtime) -> None:
    seen: list[Event] = []

    class Observer:
        from fusionhub import hookimpl

        @hookimpl
        def fusionhub_on_event(self, store: object, event: Event) -> None:
            seen.append(event)

    runtime.hub.registry.pm.register(Observer())
    await runtime.stores.add("shop", SLUG, {"api_key": "k", "webhook_secret": "whsec"})
    body = json.dumps({"type": "order.created", "id": "o1"}).encode()
    headers = {"X-Signature": signature("whsec", body), "X-Delivery": "d-1"}
    first = await runtime.events.ingest("shop", headers, body)
    again = await runtime.events.ingest("shop", headers, body)
    assert len(first.new) == 1 and first.new[0].resource_id == "o1"
    assert again.new == [] and again.duplicates == 1
    with pytest.raises(AuthError):
        await runtime.events.ingest("shop", {**headers, "X-Signature": "forged", "X-Delivery": "d-2"}, body)
    stored = await runtime.events.list("shop")
    assert [(e["delivery_id"], e["type"], e["source"]) for e in stored] == [("d-1", "order.created", "webhook")]
    assert [e.delivery_id for e in seen] == ["d-1"]


async def test_polling_produces_the_same_events_every_interval(database: Database) -> None:  # noqa: F811
    from fusionhub.clock import VirtualClock

    clock = VirtualClock()
    fake = FakePlatform(clock)
    rt = Runtime(database, registry=registry(), keyring=keyring(), clock=clock, transport_for=fake.transport)
    await rt.register_plugins()
    await rt.stores.add("shop", SLUG, {"api_key": "k"})
    fake.events.append({"platform": SLUG, "type": "order.created", "delivery_id": "e1", "resource_id": "o1"})
    assert list((await rt.events.poll_due()).values()) == [1]
    fake.events.append({"platform": SLUG, "type": "order.paid", "delivery_id": "e2", "resource_id": "o1"})
    assert await rt.events.poll_due() == {}  # polling_interval (60 s) not over yet
    clock.advance(60)
    assert list((await rt.events.poll_due()).values()) == [1]  # only the new one: the cursor was kept
    stored = await rt.events.list("shop")
    assert sorted((e["delivery_id"], e["source"]) for e in stored) == [("e1", "polling"), ("e2", "polling")]
    assert [r[3] for r in fake.log] == ["/events", "/events"]
    await rt.hub.aclose()


async def test_a_reported_level_lowers_a_shared_bucket_in_one_step(database: Database) -> None:  # noqa: F811
    store = SqlBucketStore(database)
    shape = BucketShape("store:s1:window", 10.0, 1.0)
    assert await store.acquire([Charge(shape, 4.0)], 100.0) == 0.0  # 6 left
    lowered = await store.adjust(shape, 100.0, at_most=2.0, refill_rate=2.0)
    assert lowered.tokens == pytest.approx(2.0) and lowered.refill_rate == 2.0
    kept = await store.adjust(shape, 100.0, at_most=9.0)  # the report says more is left: ours stands
    assert kept.tokens == pytest.approx(2.0)
    capped = await store.adjust(shape, 101.0, at_most=3.0, capacity=1.0)  # 4 after a second, then ≤ 1
    assert capped.tokens == pytest.approx(1.0)


async def test_a_report_lowers_only_the_buckets_above_it(database: Database) -> None:  # noqa: F811
    """`lower` on the SQL store (a look first on SQLite, then a write only where a level is higher)."""
    store = SqlBucketStore(database)
    window, day, fresh = (
        BucketShape("store:s2:w", 10.0, 1.0),
        BucketShape("store:s2:d", 100.0, 0.0),
        BucketShape("store:s2:f", 5.0, 1.0),
    )
    assert await store.acquire([Charge(window, 4.0), Charge(day, 10.0)], 100.0) == 0.0  # 6 and 90 left
    assert await store.lower([(window, 7.0), (day, 95.0)], 100.0) == 0  # both above ours: nothing written
    assert await store.lower([(window, 2.0), (day, 95.0), (fresh, 3.0)], 100.0) == 2
    levels = [(await store.snapshot(s, 100.0)).tokens for s in (window, day, fresh)]
    assert levels == [pytest.approx(2.0), pytest.approx(90.0), pytest.approx(3.0)]
    assert await store.lower([(window, 2.5), (window, 1.0)], 101.0) == 1  # 3 after a second; the lower of two
    assert (await store.snapshot(window, 101.0)).tokens == pytest.approx(1.0)
