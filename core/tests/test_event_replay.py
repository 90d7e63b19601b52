"""A webhook delivery replayed under rewritten (unsigned) headers is one event: the hub keeps one event
per `replay_key` (a key from signed data) per store, in every process and after restarts."""

from __future__ import annotations

from cryptography.fernet import Fernet
from runtime_db import database  # noqa: F401 - the parametrized fixture
from runtime_fakes import SLUG, registry

from fusionhub.models import Event
from fusionhub.runtime import Runtime
from fusionhub.secrets import Keyring
from fusionhub.storage import Database

KEYS = Keyring([Fernet.generate_key().decode()], "test keys")


def _event(delivery_id: str, replay_key: str | None) -> Event:
    return Event(platform=SLUG, type="order.created", delivery_id=delivery_id, resource_id="o1", replay_key=replay_key)


async def test_a_replay_under_another_delivery_id_is_dropped_after_a_restart(database: Database) -> None:  # noqa: F811
    first = Runtime(database, registry=registry(), keyring=KEYS)
    await first.register_plugins()
    store = await first.stores.add("shop", SLUG, {"api_key": "k", "webhook_secret": "whsec"})
    loaded = await first.stores.load(store.id)
    assert [e.delivery_id for e in (await first.events.record(loaded, [_event("d-1", "sig-A")])).new] == ["d-1"]
    # Another process (or this one after a restart): nothing in memory, only the database knows.
    second = Runtime(database, registry=registry(), keyring=KEYS)
    await second.register_plugins()
    replayed = await second.events.record(loaded, [_event("d-rewritten", "sig-A")])
    assert replayed.new == [] and replayed.duplicates == 1
    other = await second.events.record(loaded, [_event("d-2", "sig-B"), _event("d-3", None), _event("d-4", None)])
    assert [e.delivery_id for e in other.new] == ["d-2", "d-3", "d-4"]  # events without a key never clash
