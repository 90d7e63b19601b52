"""The transport under every store's client: acquire from the store's buckets, then send.

Per request: gzip a large body (if the platform accepts it) → for each attempt: acquire the
request's cost from every bucket it is charged to → send → let the plugin read rate headers
into the buckets → retry transient failures of idempotent requests (exponential back-off with
jitter, or exactly the Retry-After the platform asked for) → one ApiCall record.

Retries: stamina decides whether and how often to retry, and its schedule gives each back-off
(`Attempt.next_wait`, plus jitter here); stamina itself is told to wait 0 and the back-off is
slept on the fusionhub clock before the next attempt, so retries run on any clock, virtual
ones included. `stamina.set_testing` still works (its schedule is 0 then, attempts capped).

Admission (`fusionhub.ratelimit.admission`): only a worker's first request of a capability call
may be refused by a full bucket, and a 429 on it is handed back (the job is re-scheduled, nothing
was done). Every later request of the call waits for its tokens, and a 429 on it is waited out and
the request sent again whatever its method: a 429 means the platform did not act on the request,
and giving up would leave the call half done.

What a call's retries may cost is bounded (`RetryPolicy.call_retries` in all, across its requests),
and a worker never waits on its bucket to retry the call's first request: with the bucket empty,
the failure it would have retried is the answer (the call has done nothing yet), and the job's own
back-off and attempt count take over. So a platform that keeps failing costs a job a known number
of requests, and ends it `failed` after the contract's `max_retries`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from fusionhub.errors import RateLimited
from fusionhub.http.config import HttpConfig, RequestMeta, RetryPolicy
from fusionhub.http.errors import RETRY_STATUSES, retry_after, retryable_status
from fusionhub.http.retry import RETRYABLE_EXCEPTIONS, may_retry
from fusionhub.observability.records import ApiCall, build_api_call
from fusionhub.observability.redaction import safe_target
from fusionhub.observability.scope import current_capability
from fusionhub.ratelimit import Limiter, admission, inflight

if TYPE_CHECKING:
    import stamina

ApiCallSink = Callable[[ApiCall], None]


@dataclass(frozen=True, slots=True)
class CallLabels:
    """Who the client's calls are for, as API-call records name them."""

    plugin: str = ""
    store_id: str = ""


class _RetryStatus(Exception):
    """A retryable status answered: carries the wait the platform asked for, if any."""

    def __init__(self, status: int, wait: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.wait = wait


class _GiveUp(Exception):
    """Leave stamina's loop with the failure a retry would have answered (not retried by stamina)."""

    def __init__(self, failure: httpx.Response | Exception) -> None:
        super().__init__("retry not sent")
        self.failure = failure


def _retry_on(exc: Exception) -> bool | float:
    # A float is stamina's custom back-off: 0, because the transport waits on the fusionhub clock.
    return 0.0 if isinstance(exc, (_RetryStatus, *RETRYABLE_EXCEPTIONS)) else False


def _pause(exc: Exception, attempt: stamina.Attempt, policy: RetryPolicy) -> float:
    """Seconds to wait after `attempt` failed with `exc`: Retry-After, else stamina's schedule + jitter."""
    if isinstance(exc, _RetryStatus) and exc.wait is not None:
        return exc.wait
    scheduled = attempt.next_wait
    jitter = random.uniform(0.0, policy.wait_jitter) if scheduled and policy.wait_jitter else 0.0
    return min(policy.wait_max, scheduled + jitter)


class LimitedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        limiter: Limiter,
        config: HttpConfig,
        *,
        sink: ApiCallSink | None = None,
        labels: CallLabels | None = None,
    ) -> None:
        self._inner = inner
        self._limiter = limiter
        self._config = config
        self._sink = sink
        self._labels = labels or CallLabels()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        meta = RequestMeta.of(request)
        if self._config.gzip_min_bytes is not None:  # a plugin that never compresses: no call for it
            request = self._compressed(request)
        clock = self._limiter.clock
        started = clock.now()
        sent = [0]  # requests that got past the buckets and went out (the first one and retries)
        response: httpx.Response | None = None
        error: str | None = None
        first = admission.claim()  # the first request of its capability call (or of no call)
        refusable = first and admission.is_refusing()  # a worker's: a full bucket refuses it
        limiter = self._limiter
        try:
            if may_retry(request, meta) and self._config.retry.attempts > 1:
                # The first attempt is sent here, a coroutine less per layer: most requests succeed
                # at once. A failure, or an answer asking for another try, goes to the retry loop.
                answered: httpx.Response | None = None  # the record names only the final answer
                retry: Exception | None
                try:
                    if not limiter.acquired_now(meta.cost, meta.operation, meta.endpoint_class):
                        await limiter.acquire(
                            meta.cost, operation=meta.operation, endpoint_class=meta.endpoint_class, wait=not refusable
                        )
                    answered = await self._transmit(request, meta, sent)
                except RETRYABLE_EXCEPTIONS as exc:
                    retry = exc
                else:  # most answers are no retryable status: final, without a call to ask
                    retry = None
                    if answered.status_code in RETRY_STATUSES:
                        retry = self._retry_signal(answered, self._config.retry, refusable)
                if retry is None:
                    assert answered is not None
                    response = answered
                else:  # outside the except block: the retries' exceptions do not chain to the first
                    response = await self._send_retrying(request, meta, sent, refusable, retry, answered)
            else:
                response = await self._send(request, meta, sent, refusable)
                if not first and meta.retry and response.status_code == 429:
                    response = await self._wait_out_throttle(request, meta, sent, response)
            return response
        except BaseException as exc:
            error = type(exc).__name__
            raise
        finally:
            # A request refused by its bucket before it went out (a worker's RateLimited) is no API call.
            if self._sink is not None and sent[0]:
                if limiter.memory_store() is not None:  # read in place: no coroutine for it
                    tokens = limiter.memory_level(meta.operation)
                elif getattr(limiter.store, "local", False):
                    level = await limiter.level(meta.operation)
                    tokens = level.tokens if level is not None else None
                else:
                    tokens = None
                self._record(request, meta, response, error, started, sent[0], tokens)

    async def _send(
        self, request: httpx.Request, meta: RequestMeta, sent: list[int], refusable: bool = False
    ) -> httpx.Response:
        """Acquire (a worker's first request: refused by a full bucket, `RateLimited`), then send."""
        limiter = self._limiter
        if not limiter.acquired_now(meta.cost, meta.operation, meta.endpoint_class):
            await limiter.acquire(
                meta.cost, operation=meta.operation, endpoint_class=meta.endpoint_class, wait=not refusable
            )
        return await self._transmit(request, meta, sent)

    async def _transmit(self, request: httpx.Request, meta: RequestMeta, sent: list[int]) -> httpx.Response:
        """Send a request whose tokens are acquired; let the plugin read the answer's rate report."""
        sent[0] += 1
        with inflight.flying(self._limiter.store_key, meta.cost):  # answered: on_response sees the rest
            response = await self._inner.handle_async_request(request)
        response.request = request  # observers read the request's meta; the client sets it only later
        if response.status_code == 429:
            self._limiter.throttled()
        if self._config.on_response is not None and meta.observe:
            await response.aread()
            await self._config.on_response(response, self._limiter)
        return response

    async def _send_retrying(
        self,
        request: httpx.Request,
        meta: RequestMeta,
        sent: list[int],
        refusable: bool,
        first: Exception,
        response: httpx.Response | None,
    ) -> httpx.Response:
        """Retry after the first attempt failed with `first`: a retryable exception (`response` None),
        or a `_RetryStatus` for the `response` that asked for another try.

        The first attempt runs outside stamina (`handle_async_request`): most requests succeed, and
        entering its retry machinery costs more than the rest of the transport. Its failure is
        replayed here as attempt 1."""
        policy = self._config.retry
        # The failure the next try would replace: answered instead when that try is not sent.
        failure: httpx.Response | Exception = first if response is None else response
        import stamina  # first needed here: a start-up that never retries does not import it

        clock = self._limiter.clock
        pause = 0.0
        try:
            async for attempt in stamina.retry_context(
                on=_retry_on,
                attempts=policy.attempts,
                timeout=None,  # tenacity would measure wall time; attempts bound the retries instead
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=0.0,  # added in _pause: next_wait is the jitter-free schedule
            ):
                with attempt:
                    if attempt.num == 1:
                        pause = _pause(first, attempt, policy)
                        raise first
                    if not admission.spend_retry(policy.call_retries):
                        raise _GiveUp(failure)
                    await clock.sleep(pause)
                    try:
                        # A worker retrying its call's first request does not wait for tokens.
                        await self._limiter.acquire(
                            meta.cost, operation=meta.operation, endpoint_class=meta.endpoint_class, wait=not refusable
                        )
                    except RateLimited:
                        raise _GiveUp(failure) from None
                    if isinstance(failure, httpx.Response):
                        await failure.aclose()
                    try:
                        response = await self._transmit(request, meta, sent)
                    except RETRYABLE_EXCEPTIONS as exc:
                        failure, pause = exc, _pause(exc, attempt, policy)
                        raise
                    if attempt.num < policy.attempts:
                        signal = self._retry_signal(response, policy, refusable)
                        if signal is not None:
                            failure, pause = response, _pause(signal, attempt, policy)
                            raise signal
                    return response
        except _GiveUp as given_up:
            if isinstance(given_up.failure, httpx.Response):
                return given_up.failure
            raise given_up.failure from None
        except _RetryStatus:  # the last try's answer asked for another: it is the answer
            assert isinstance(failure, httpx.Response)
            return failure
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    def _retry_signal(self, response: httpx.Response, policy: RetryPolicy, refusable: bool) -> _RetryStatus | None:
        """What to raise for another try when the response asks for one (None: it is final)."""
        if retryable_status(response.status_code):
            if response.status_code == 429 and refusable:
                return None  # a worker's first request: the job is re-scheduled (RateLimited); nothing sleeps
            wait = retry_after(response, self._limiter.clock.now())
            if wait is None or wait <= policy.max_retry_after:
                return _RetryStatus(response.status_code, wait)
        return None

    async def _wait_out_throttle(
        self, request: httpx.Request, meta: RequestMeta, sent: list[int], response: httpx.Response
    ) -> httpx.Response:
        """Send a 429-refused request again after the platform's wait, up to the policy's attempts.

        Only for a request whose call is admitted (see the module docstring). A wait longer than
        `max_retry_after` hands the 429 back to the plugin (RateLimited).
        """
        policy, clock = self._config.retry, self._limiter.clock
        tries = 1
        while response.status_code == 429 and tries < policy.attempts:
            wait = retry_after(response, clock.now())
            if wait is None:  # no word from the platform: the back-off schedule, jittered (the bucket may add more)
                scheduled = policy.wait_initial * 2 ** (tries - 1)
                jitter = random.uniform(0.0, policy.wait_jitter) if policy.wait_jitter else 0.0
                wait = min(policy.wait_max, scheduled + jitter)
            if wait > policy.max_retry_after or not admission.spend_retry(policy.call_retries):
                break
            await response.aclose()
            await clock.sleep(wait)
            response = await self._send(request, meta, sent)
            tries += 1
        return response

    def _compressed(self, request: httpx.Request) -> httpx.Request:
        threshold = self._config.gzip_min_bytes
        if threshold is None or "content-encoding" in request.headers:
            return request
        try:
            body = request.content
        except httpx.RequestNotRead:  # a streamed upload: sent as it is
            return request
        if len(body) < threshold:
            return request
        import gzip  # only a body over the plugin's threshold needs it

        packed = gzip.compress(body, mtime=0)
        headers = request.headers.copy()
        headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(packed))
        return httpx.Request(
            request.method, request.url, headers=headers, content=packed, extensions=request.extensions
        )

    def _record(
        self,
        request: httpx.Request,
        meta: RequestMeta,
        response: httpx.Response | None,
        error: str | None,
        started: float,
        tries: int,
        tokens: float | None,
    ) -> None:
        """One ApiCall to the sink; `tokens`: the first bucket's level after the call (None: not read)."""
        assert self._sink is not None
        url = request.url
        self._sink(
            build_api_call(
                plugin=self._labels.plugin,
                store_id=self._labels.store_id,
                capability=current_capability.get(),
                method=request.method,
                path=safe_target(url.path, url.params.multi_items() if url.query else []),
                status=response.status_code if response is not None else None,
                duration_ms=(self._limiter.clock.now() - started) * 1000,
                cost=meta.cost,
                bucket_level=tokens,
                retries=max(0, tries - 1),
                error=error,
            )
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
