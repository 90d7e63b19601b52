"""Where Gumroad's API lives, and the facts of its paging (API-FACTS §5)."""

from __future__ import annotations

from urllib.parse import quote

SLUG = "gumroad"
BASE_URL = "https://api.gumroad.com/v2/"
# Every host this plugin sends a store's credentials to: the API's own, nothing else.
HOSTS = frozenset({"api.gumroad.com"})
PAGE_SIZE = 10  # /products and /sales answer 10 records a page (next_page_key when there are more)


def path(*segments: str) -> str:
    """A path under BASE_URL; each id is one encoded segment (an id holding `/` or `..` stays inside it)."""
    return "/".join(quote(segment, safe="=-_") for segment in segments)
