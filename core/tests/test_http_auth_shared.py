"""A refreshing auth flow that shares its store's tokens with other processes (`RefreshingAuth.shared`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from test_http_auth import TOKEN_URL, TokenServer, _client

from fusionhub.clock import VirtualClock
from fusionhub.errors import AuthError
from fusionhub.http import OAuth2RefreshAuth, TokenSet


class Saved:
    """Another process's view: what it saved, and whether the lock was held around each look."""

    def __init__(self, tokens: TokenSet, *later: TokenSet) -> None:
        self.answers = [tokens, *later]  # one per look; the last one stays
        self.locked = False
        self.loads_under_lock = 0

    @contextlib.asynccontextmanager
    async def _held(self) -> AsyncIterator[None]:
        assert not self.locked
        self.locked = True
        try:
            yield
        finally:
            self.locked = False

    def held(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self._held()

    async def load(self) -> TokenSet:
        self.loads_under_lock += int(self.locked)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _auth(clock: VirtualClock, tokens: TokenSet, saved: Saved) -> OAuth2RefreshAuth:
    auth = OAuth2RefreshAuth(tokens, token_url=TOKEN_URL, client_id="app", clock=clock)
    auth.shared = saved
    return auth


def test_a_token_another_process_refreshed_is_used_without_refreshing(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock)
    stale = TokenSet("expired-token", "refresh-0-bbbbbb", expires_at=virtual_clock.now() - 1)
    saved = Saved(TokenSet(server.valid_access, server.valid_refresh, expires_at=virtual_clock.now() + 3600))

    async def main() -> int:
        async with _client(virtual_clock, _auth(virtual_clock, stale, saved), server) as client:
            return (await client.get("x")).status_code

    assert virtual_clock.run(main()) == 200
    assert server.forms == [] and saved.loads_under_lock == 1  # read under the lock, no refresh sent


def test_a_refresh_token_spent_elsewhere_is_replaced_by_the_saved_one(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock)
    mine = TokenSet("expired-token", "refresh-0-bbbbbb", expires_at=virtual_clock.now() - 1)
    # Another process, not holding the lock, spends refresh-0 and saves what it got while we refresh.
    server.generation, server.valid_access, server.valid_refresh = 1, "access-1-aaaaaa", "refresh-1-bbbbbb"
    theirs = TokenSet(server.valid_access, server.valid_refresh, expires_at=virtual_clock.now() + 3600)
    saved = Saved(mine, theirs)

    async def main() -> int:
        async with _client(virtual_clock, _auth(virtual_clock, mine, saved), server) as client:
            return (await client.get("x")).status_code

    assert virtual_clock.run(main()) == 200
    assert [f["refresh_token"] for f in server.forms] == ["refresh-0-bbbbbb"]  # refused, then theirs used


def test_a_refused_refresh_with_nothing_newer_saved_still_asks_to_reconnect(virtual_clock: VirtualClock) -> None:
    server = TokenServer(virtual_clock, fail=True)
    mine = TokenSet("expired-token", "refresh-0-bbbbbb", expires_at=virtual_clock.now() - 1)

    async def main() -> None:
        async with _client(virtual_clock, _auth(virtual_clock, mine, Saved(mine)), server) as client:
            await client.get("x")

    with pytest.raises(AuthError, match="reconnect the store"):
        virtual_clock.run(main())
