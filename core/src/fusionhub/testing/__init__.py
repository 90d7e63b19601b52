"""Testing helpers for plugin authors and hosts: virtual clock fixtures and the conformance kit."""
