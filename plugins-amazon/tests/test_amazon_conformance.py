from fusionhub.testing.conformance import conformance_suite

TestConformance = conformance_suite("amazon-sc")
