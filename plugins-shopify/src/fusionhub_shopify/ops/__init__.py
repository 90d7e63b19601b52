"""Capability implementations, one module per resource; plugin.py only dispatches here."""
