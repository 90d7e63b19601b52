"""Connecting a store: the OAuth install flow, expiring tokens, the access-token header."""
