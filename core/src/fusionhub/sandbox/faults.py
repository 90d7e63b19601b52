"""Fault knobs: the next requests fail the way networks and servers do.

A sandbox passes each request it wants to be faultable through `Faults.apply(target, request,
handler)` at the point of its handling where the platform would fail (after auth, say). A fault
armed `on` a target (an operation id, a route) hits only that target; one armed without hits
any. Faults fire in the order they were armed, each `times` times:

- `fail(status)`: answer `status` in the platform's error format; nothing is applied;
- `timeout()` / `reset()`: a network error before the request reaches the platform;
- `lose()`: the change is applied, then the response is lost (a reset): the client cannot know;
- `slow(seconds)`: applied and answered, `seconds` late on the sandbox's clock;
- `respond(make)`: any other answer the platform gives (a truncated body, an error at 200).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

from fusionhub.sandbox.reply import Reply

Handler = Callable[[], httpx.Response]
Action = Callable[[httpx.Request, Handler], httpx.Response]
"""A fault: given the request and the platform's handler, answer (or raise) instead."""
ErrorBody = Callable[[int, str], httpx.Response]
"""The platform's error answer for a status and a message."""
NetworkError = Literal["timeout", "reset"]

DELAY = "fusionhub.sandbox.delay"  # request extension: seconds the transport holds the answer back


def plain_error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, text=message)


def _network_error(kind: NetworkError, request: httpx.Request) -> httpx.TransportError:
    if kind == "timeout":
        return httpx.ReadTimeout("sandbox: read timed out", request=request)
    return httpx.RemoteProtocolError("sandbox: server disconnected without sending a response", request=request)


@dataclass(slots=True)
class Fault:
    action: Action
    on: str | None
    times: int


class Faults:
    """Armed faults, taken in order; `kinds` names extra platform-specific faults for `inject`."""

    def __init__(self, *, error: ErrorBody = plain_error, kinds: Mapping[str, Action] | None = None) -> None:
        self.error = error
        self.kinds: dict[str, Action] = {
            "5xx": lambda request, handler: self.error(503, httpx.codes.get_reason_phrase(503)),
            "timeout": self._raise("timeout"),
            "reset": self._raise("reset"),
            "lost": self._lose("reset"),
            **(kinds or {}),
        }
        self.armed: list[Fault] = []

    # --- arming ---------------------------------------------------------------------------------

    def add(self, action: Action, *, times: int = 1, on: str | None = None) -> None:
        self.armed.append(Fault(action, on, times))

    def inject(self, kind: str, times: int = 1, *, on: str | None = None) -> None:
        """Arm a named fault: "5xx", "timeout", "reset", "lost", or one the sandbox added."""
        self.add(self.kinds[kind], times=times, on=on)

    def fail(
        self,
        status: int = 500,
        *,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        on: str | None = None,
    ) -> None:
        def answer(request: httpx.Request, handler: Handler) -> httpx.Response:
            response = self.error(status, message or httpx.codes.get_reason_phrase(status))
            response.headers.update(headers or {})
            return response

        self.add(answer, times=times, on=on)

    def timeout(self, *, times: int = 1, on: str | None = None) -> None:
        self.add(self._raise("timeout"), times=times, on=on)

    def reset(self, *, times: int = 1, on: str | None = None) -> None:
        self.add(self._raise("reset"), times=times, on=on)

    def lose(self, error: NetworkError = "reset", *, times: int = 1, on: str | None = None) -> None:
        self.add(self._lose(error), times=times, on=on)

    def slow(self, seconds: float, *, times: int = 1, on: str | None = None) -> None:
        def late(request: httpx.Request, handler: Handler) -> httpx.Response:
            request.extensions[DELAY] = seconds
            return handler()

        self.add(late, times=times, on=on)

    def respond(
        self, make: Callable[[httpx.Request], httpx.Response], *, times: int = 1, on: str | None = None
    ) -> None:
        self.add(lambda request, handler: make(request), times=times, on=on)

    # --- firing -----------------------------------------------------------------------------------

    def take(self, target: str) -> Action | None:
        """The next armed fault for `target`, counted as fired; None when none is armed."""
        for fault in self.armed:
            if fault.times > 0 and fault.on in (None, target):
                fault.times -= 1
                return fault.action
        return None

    def apply(self, target: str, request: httpx.Request, handler: Handler) -> httpx.Response:
        """Run `handler` for `request`, or the next fault armed for `target` in its place."""
        self.armed = [f for f in self.armed if f.times > 0]
        action = self.take(target)
        return handler() if action is None else action(request, handler)

    @staticmethod
    def _raise(kind: NetworkError) -> Action:
        def fail(request: httpx.Request, handler: Handler) -> httpx.Response:
            raise _network_error(kind, request)

        return fail

    @staticmethod
    def _lose(kind: NetworkError) -> Action:
        def lose(request: httpx.Request, handler: Handler) -> httpx.Response:
            with contextlib.suppress(Reply):
                handler()  # the platform applied the change (or refused it); its answer never arrives
            raise _network_error(kind, request)

        return lose
