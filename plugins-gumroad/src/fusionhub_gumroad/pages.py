"""Gumroad's page_key paging behind an opaque cursor.

Gumroad answers 10 records a page and a `next_page_key` when there are more; a caller may ask for
fewer. The cursor keeps the page's key, how many of its records were already returned, and the
filters the first page was asked with, so the next call resumes exactly where this one stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fusionhub.plugin import ValidationError, decode_cursor, encode_cursor
from fusionhub_gumroad.endpoints import SLUG

CURSOR_LOC = "params.cursor"


def _refuse() -> ValidationError:
    return ValidationError(errors=[{"loc": CURSOR_LOC, "msg": "not a cursor returned by this plugin"}], platform=SLUG)


@dataclass(frozen=True, slots=True)
class PageKeyCursor:
    page_key: str | None = None  # None: the first page
    skip: int = 0  # records of that page already returned
    filters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def decode(cls, cursor: str | None) -> PageKeyCursor:
        data = decode_cursor(cursor, loc=CURSOR_LOC, platform=SLUG)
        key, skip, filters = data.get("page_key"), data.get("skip", 0), data.get("filters", {})
        if key is not None and not isinstance(key, str):
            raise _refuse()
        if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0 or not isinstance(filters, dict):
            raise _refuse()
        return cls(key, skip, filters)

    def query(self) -> dict[str, Any]:
        """The request's parameters: the filters, and the page key after the first page."""
        return {**self.filters, **({"page_key": self.page_key} if self.page_key else {})}

    def take(self, records: Sequence[Any], limit: int, next_page_key: Any) -> tuple[list[Any], str | None]:
        """At most `limit` records of this page from where the cursor stands, and the cursor after them."""
        end = self.skip + limit
        chunk = list(records[self.skip : end])
        if end < len(records):
            return chunk, encode_cursor({"page_key": self.page_key, "skip": end, "filters": self.filters})
        if isinstance(next_page_key, str) and next_page_key:
            return chunk, encode_cursor({"page_key": next_page_key, "skip": 0, "filters": self.filters})
        return chunk, None
