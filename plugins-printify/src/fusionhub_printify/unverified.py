"""Every Printify fact this plugin relies on that Printify's documentation does not pin down.

API-FACTS §4 marks these **[unverified]**; they live here and nowhere else, and the README's
"Unverified facts" section lists the same. Change one here when Printify's behaviour is known.
"""

from __future__ import annotations

# The most `limit` products.json takes. 50 is what the documentation's examples use and is safe.
PRODUCTS_MAX_LIMIT = 50
# The most `limit` orders.json takes (its examples page by 10).
ORDERS_MAX_LIMIT = 10
# The header carrying a webhook delivery's signature, `sha256=<hex HMAC-SHA256(secret, raw body)>`.
# Some client code reads X-Printify-Signature instead: both are read, the first present is checked.
SIGNATURE_HEADERS = ("x-pfy-signature", "x-printify-signature")
SIGNATURE_PREFIX = "sha256="
