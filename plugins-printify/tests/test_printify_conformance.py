"""Core's conformance kit, run against the Printify plugin and its sandbox."""

from __future__ import annotations

from fusionhub.testing.conformance import conformance_suite

TestPrintifyConformance = conformance_suite("printify")
