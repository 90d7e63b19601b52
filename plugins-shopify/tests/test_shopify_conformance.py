"""The core conformance kit against the Shopify plugin and its sandbox."""

from fusionhub.testing.conformance import conformance_suite

TestConformance = conformance_suite("shopify")
