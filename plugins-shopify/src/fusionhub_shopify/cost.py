"""Shopify's calculated query cost, from a document and its variables (and, after the fact, its data).

Published rules: scalars and enums 0, an object 1, a connection or sized list 2 plus `first`
times the cost of one item, each mutation field 10; a single query may cost at most 1000. The
requested cost is what the bucket must hold before a request runs; the actual cost (same rules
over what came back) is what it keeps. The walk is core's (`GraphQLCost`); the prices are these.
"""

from __future__ import annotations

from fusionhub.plugin import GraphQLCost

MAX_QUERY_COST = 1000
PRICES = GraphQLCost(object=1, connection=2, mutation=10, free=("pageInfo",), limit=MAX_QUERY_COST)
requested_cost = PRICES.requested
actual_cost = PRICES.actual
largest_first = PRICES.largest_size
