"""Core's conformance kit, run against the Etsy plugin and its sandbox."""

from __future__ import annotations

from fusionhub.testing.conformance import conformance_suite

TestEtsyConformance = conformance_suite("etsy")
