"""The API-call record's flat fields, as the per-request log line is built from them."""

from __future__ import annotations

import dataclasses

from fusionhub.observability.records import ApiCall


def test_api_call_fields_are_every_field_in_order() -> None:
    call = ApiCall(
        plugin="shop",
        store_id="s1",
        capability="get_product",
        method="GET",
        path="/products/1?limit=5",
        status=503,
        duration_ms=12.5,
        cost=2.0,
        bucket_level=38.25,
        retries=3,
        error="ReadTimeout",
    )
    fields = call.fields()
    assert fields == dataclasses.asdict(call)
    assert list(fields) == [f.name for f in dataclasses.fields(ApiCall)]
    assert len(set(fields.values())) == len(fields)  # each field read from its own attribute
