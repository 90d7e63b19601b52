"""Core's conformance kit, run against the Gumroad plugin and its sandbox."""

from __future__ import annotations

from fusionhub.testing.conformance import conformance_suite

TestGumroadConformance = conformance_suite("gumroad")
