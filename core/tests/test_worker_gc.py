"""`fusionhub worker` settles the cyclic collector after start-up: start-up objects frozen, young
collections less often (the process runs jobs until stopped; its start-up objects never die)."""

from __future__ import annotations

import gc

from fusionhub.cli.worker import GC_YOUNG_THRESHOLD, _settle_gc


def test_start_up_objects_are_frozen_and_young_collections_spaced() -> None:
    before = gc.get_threshold()
    try:
        gc.unfreeze()
        _settle_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
