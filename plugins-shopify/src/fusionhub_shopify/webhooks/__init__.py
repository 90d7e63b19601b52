"""Incoming webhook deliveries: signature check, then normalized events."""
