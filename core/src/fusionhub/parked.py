"""A capability call's third way to end: neither a result nor an error, but parked.

A call that parks hands its work to others (a fan-out's child jobs) and will be run again when
they are done. It is a BaseException so that no `except Exception` in a plugin or a wrapper
mistakes it for a failure; the hub records it as parked, which counts neither as ok nor as failed.
"""

from __future__ import annotations


class Parked(BaseException):
    """Raised through a capability call that will be resumed later (a parked fan-out)."""
