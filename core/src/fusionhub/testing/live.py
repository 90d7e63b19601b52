"""Live mode: the conformance kit's checks against a real account (a development store).

Given `FUSIONHUB_LIVE_<SLUG>` (the slug upper-cased, `-` as `_`) holding JSON::

    {"credentials": {...}, "config": {...}, "writes": false}

the live tests run every call through core against the platform itself, on the system clock and
paced by the manifest's rate limit. They read only, unless `"writes": true`: then they create a
product of their own (a draft titled `fusionhub live check <id>`), read it back, update it, and
delete it for good (archive it where the store's config forbids deleting) — nothing else is
written. Without the variable they are skipped, naming it.
`"forward_to": "http://127.0.0.1:PORT"` sends every request to a sandbox served on loopback
(`python -m fusionhub.sandbox.server SLUG`) instead: how the live tests themselves are tested.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from fusionhub.capabilities import Capability
from fusionhub.contracts import Level, PluginManifest
from fusionhub.credentials import Credentials
from fusionhub.errors import CapabilityUnsupported, NotFound, ValidationError
from fusionhub.hub import Hub, Outcome
from fusionhub.registry import PluginStatus, Registry
from fusionhub.sandbox.server import forwarding
from fusionhub.stores import Store

ENV_PREFIX = "FUSIONHUB_LIVE_"
LIVE_TITLE = "fusionhub live check"
T = TypeVar("T")


def env_name(slug: str) -> str:
    return ENV_PREFIX + slug.upper().replace("-", "_")


@dataclass(frozen=True)
class LiveSettings:
    credentials: dict[str, str] = field(repr=False)
    config: dict[str, Any]
    writes: bool = False
    forward_to: str | None = None


def live_settings(slug: str, environ: Mapping[str, str] | None = None) -> LiveSettings | None:
    """The live account of `slug` from the environment, None when not given; a clear error when malformed."""
    name = env_name(slug)
    raw = (os.environ if environ is None else environ).get(name)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError(f'{name} is not JSON: give {{"credentials": {{...}}, "config": {{...}}}}') from None
    if not isinstance(data, dict) or not isinstance(data.get("credentials"), dict):
        raise ValueError(f'{name} needs an object with "credentials" (an object of strings)')
    unknown = sorted(set(data) - {"credentials", "config", "writes", "forward_to"})
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}: credentials, config, writes, forward_to")
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"{name}.config must be an object")
    return LiveSettings(
        {str(k): str(v) for k, v in data["credentials"].items()},
        config,
        writes=data.get("writes") is True,
        forward_to=data.get("forward_to"),
    )


class LiveSuite:
    """Live checks, mixed into the conformance suite; each is skipped without the live account."""

    slug: str

    def live(self) -> LiveSettings:
        settings = live_settings(self.slug)
        if settings is None:
            pytest.skip(
                f"live checks need a development account: set {env_name(self.slug)} to "
                '{"credentials": {...}, "config": {...}} (add "writes": true to let them create and delete a product)'
            )
        return settings

    def run_live(self, body: Callable[[Hub, Store, PluginManifest], Awaitable[T]]) -> T:
        settings = self.live()
        registry = Registry.discover(allow={self.slug}, strict=False)
        record = next((r for r in registry.records if r.slug == self.slug), None)
        if record is None or record.status is not PluginStatus.LOADED or record.manifest is None:
            pytest.fail(f"plugin {self.slug!r} is not loaded: {record.error if record else 'not installed'}")
        store = Store(
            platform=self.slug,
            credentials=Credentials(settings.credentials),
            config=settings.config,
            name=f"{self.slug} live",
        )
        manifest = record.manifest

        async def main() -> T:
            hub = Hub(registry)
            hub.connect(store, transport=forwarding(settings.forward_to) if settings.forward_to else None)
            try:
                return await body(hub, store, manifest)
            finally:
                await hub.aclose()

        return asyncio.run(main())

    def test_live_reads(self) -> None:
        """list_products and list_orders by two, each listed item fetched again by id."""

        async def reads(hub: Hub, store: Store, manifest: PluginManifest) -> list[str]:
            done: list[str] = []
            for listing, single, key in (
                (Capability.LIST_PRODUCTS, Capability.GET_PRODUCT, "product_id"),
                (Capability.LIST_ORDERS, Capability.GET_ORDER, "order_id"),
            ):
                if manifest.contract(listing).level is Level.UNSUPPORTED:
                    continue
                page = (await hub.execute(store, listing, {"limit": 2})).value
                assert len(page.items) <= 2, f"live {listing} gave {len(page.items)} items for limit=2"
                done.append(str(listing))
                if page.items and manifest.contract(single).level is not Level.UNSUPPORTED:
                    first = page.items[0]
                    again = (await hub.execute(store, single, {key: first.id})).value
                    assert again.id == first.id, f"live {single} of {first.id} returned {again.id}"
                    done.append(str(single))
            return done

        if not self.run_live(reads):
            pytest.skip(f"{self.slug} supports neither list_products nor list_orders")

    def test_live_writes_clean_up(self) -> None:
        """Only with "writes": true: create a draft product, read it, rename it, delete it for good."""
        if not self.live().writes:
            pytest.skip(f'live writes are off: add "writes": true to {env_name(self.slug)} to check them')

        async def writes(hub: Hub, store: Store, manifest: PluginManifest) -> None:
            needed = (Capability.CREATE_PRODUCT, Capability.GET_PRODUCT, Capability.DELETE_PRODUCT)
            if any(manifest.contract(c).level is Level.UNSUPPORTED for c in needed):
                pytest.skip(f"{self.slug} cannot create, read and delete a product: no live write is made")
            title = f"{LIVE_TITLE} {uuid.uuid4().hex[:12]}"
            product = {"title": title, "status": "draft", "variants": [{"sku": f"FH-LIVE-{uuid.uuid4().hex[:8]}"}]}
            made: Outcome[Any] = await hub.execute(store, Capability.CREATE_PRODUCT, {"product": product})
            product_id = made.value.id
            try:
                got = (await hub.execute(store, Capability.GET_PRODUCT, {"product_id": product_id})).value
                assert got.title == title, f"live create_product then get_product read {got.title!r}"
                if manifest.contract(Capability.UPDATE_PRODUCT).level is not Level.UNSUPPORTED:
                    renamed = f"{title} (renamed)"
                    changes = {"product_id": product_id, "changes": {"title": renamed}}
                    await hub.execute(store, Capability.UPDATE_PRODUCT, changes)
                    got = (await hub.execute(store, Capability.GET_PRODUCT, {"product_id": product_id})).value
                    assert got.title == renamed, f"live update_product then get_product read {got.title!r}"
            finally:  # what the check created never stays behind
                await self._remove(hub, store, product_id)
            try:
                gone = (await hub.execute(store, Capability.GET_PRODUCT, {"product_id": product_id})).value
            except NotFound:
                return
            assert gone.status in {"archived", "inactive"}, f"live delete_product left {product_id} as {gone.status}"

        self.run_live(writes)

    @staticmethod
    async def _remove(hub: Hub, store: Store, product_id: str) -> None:
        """Delete for good; where the store refuses that (a config that allows archiving only), archive."""
        try:
            await hub.execute(store, Capability.DELETE_PRODUCT, {"product_id": product_id, "permanent": True})
        except (ValidationError, CapabilityUnsupported):
            await hub.execute(store, Capability.DELETE_PRODUCT, {"product_id": product_id})
