"""Admission: a capability call is admitted or refused as a whole, before its first request.

Core-internal; plugins never touch it. In a worker a full bucket must not put the worker to
sleep, so the job is refused (`RateLimited`) and re-scheduled instead — but only while the
call has sent nothing. Re-running a half-done call from the start would repeat its writes and,
under a small bucket, could never finish (each run spends its tokens on the same first
requests). So:

* `refusing()` marks a task as a worker's (the job runner, the event poller);
* `call_scope()` wraps one capability call (`Hub.execute`, and the runner's and poller's
  direct hook calls); a nested call belongs to the call around it;
* `claim()` is asked once per request, before it acquires: whether it is its call's first.
  Only a refusing task's first request may be refused; every later request of the call waits
  for tokens on the clock, and a 429 it meets is waited out (see `fusionhub.http.transport`).
* `patience()`: a first request whose tokens come within this many seconds waits for them
  instead of being refused. A re-schedule costs a settle, a claim and the claiming worker's
  wake-up (tens of milliseconds, two write transactions); the job holds its store's line either
  way, so a wait shorter than that is cheaper taken in place. A store running at its rate waits
  about 1 / rate before each request: at 10 req/s, a tenth of a second.

A request outside any call scope counts as a call of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class _Call:
    started: bool = False  # a request of this call has acquired (or tried to): it is admitted
    retries: int = 0  # requests the transport sent again for this call, across all its requests


# Whether a full bucket refuses (RateLimited) a call that has not started instead of waiting.
_REFUSING: ContextVar[bool] = ContextVar("fusionhub_refusing", default=False)
_CALL: ContextVar[_Call | None] = ContextVar("fusionhub_admission_call", default=None)
# Seconds of waiting for tokens a refusing task's first request accepts rather than be refused.
_PATIENCE: ContextVar[float] = ContextVar("fusionhub_admission_patience", default=0.0)


@contextlib.contextmanager
def refusing(enabled: bool = True, *, patience: float = 0.0) -> Iterator[None]:
    """In this task, a call's first request is refused instead of waiting for tokens (a worker),
    unless its tokens come within `patience` seconds."""
    if patience < 0:
        raise ValueError(f"patience must be 0 or more seconds, not {patience}")
    token = _REFUSING.set(enabled)
    waits = _PATIENCE.set(patience)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):  # a task abandoned mid-call ends in another Context
            _REFUSING.reset(token)
            _PATIENCE.reset(waits)


class call_scope:
    """One capability call: admitted at its first request, never refused after that.

    A class, not a generator: it wraps every capability call, so it is kept cheap.
    """

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        # A call made from inside another is part of it.
        self._token = _CALL.set(_Call()) if _CALL.get() is None else None

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            try:  # noqa: SIM105 (per call: contextlib.suppress costs an object and two calls)
                _CALL.reset(self._token)
            except ValueError:  # a task abandoned mid-call ends in another Context
                pass


def claim() -> bool:
    """Called once per request, before it acquires: whether it is its call's first request.

    The call counts as admitted from here on (marked before any await, so requests the call
    sends concurrently are follow-ups and wait). Outside any call scope every request is a first.
    """
    call = _CALL.get()
    if call is None:
        return True
    first = not call.started
    call.started = True
    return first


def is_refusing() -> bool:
    """Whether a full bucket refuses a call's first request in this task (a worker's)."""
    return _REFUSING.get()


def patience() -> float:
    """Seconds a refusing task's first request waits for tokens rather than be refused."""
    return _PATIENCE.get()


def refusable() -> bool:
    """Whether a full bucket may refuse the next acquire (`Limiter.acquire`); claims it in a worker."""
    return _REFUSING.get() and claim()


def spend_retry(budget: int) -> bool:
    """Whether the current call may send one more retry (counted); outside a call scope, always.

    A call's retries are bounded across its requests, not per request: a platform that keeps
    failing costs a capability call (and so a job run) at most `budget` extra requests.
    """
    call = _CALL.get()
    if call is None:
        return True
    if call.retries >= budget:
        return False
    call.retries += 1
    return True
