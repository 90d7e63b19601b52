"""Every GraphQL document the plugin can send, validated against Shopify's official Admin schema."""

from __future__ import annotations

import gzip
import json
import re
from functools import cache

import graphql
import pytest

from fusionhub.testing.specs import require_spec
from fusionhub_shopify.config import BASE_API_VERSION
from fusionhub_shopify.documents import Document, all_documents, base_names, document
from fusionhub_shopify.sandbox import schema as sandbox_schema

SCHEMA_2025_01 = "shopify/admin_schema_2025-01.json.gz"
BASE = [d for d in all_documents() if d.since == BASE_API_VERSION]
VERSION_SPECIFIC = [d for d in all_documents() if d.since != BASE_API_VERSION]


@cache
def official_schema() -> graphql.GraphQLSchema:
    path = require_spec(SCHEMA_2025_01, __file__)  # skips locally, fails under CI when absent
    with gzip.open(path) as handle:
        return graphql.build_client_schema(json.load(handle)["data"], assume_valid=True)


def _errors(schema: graphql.GraphQLSchema, doc: Document) -> list[str]:
    return [e.message for e in graphql.validate(schema, graphql.parse(doc.text))]


def test_the_plugin_has_documents_for_every_operation_it_names() -> None:
    assert len(BASE) >= 30
    assert {"Products", "ProductCreate", "InventorySetQuantities", "BulkOperationRunQuery", "RefundCreate"} <= set(
        base_names()
    )


@pytest.mark.parametrize("doc", BASE, ids=lambda d: d.name)
def test_document_validates_against_the_2025_01_admin_schema(doc: Document) -> None:
    assert _errors(official_schema(), doc) == []


@pytest.mark.parametrize("doc", [*BASE, *VERSION_SPECIFIC], ids=lambda d: f"{d.name}@{d.since}")
def test_document_is_understood_by_the_sandbox(doc: Document) -> None:
    assert _errors(sandbox_schema.load(), doc) == []


def test_a_broken_document_fails_validation() -> None:
    """The check can fail: a field the schema lacks is reported."""
    broken = Document("Broken", document("Product").text.replace("descriptionHtml", "descriptionMarkdown"))
    assert any("descriptionMarkdown" in e for e in _errors(official_schema(), broken))


# --- version-specific documents, named and tested on their own ------------------------------


def test_2026_04_inventory_document_is_selected_from_that_version_on() -> None:
    assert document("InventorySetQuantities", "2025-10").since == BASE_API_VERSION
    assert document("InventorySetQuantities", "2026-01").since == "2026-01"
    assert document("InventorySetQuantities", "2026-04").since == "2026-04"
    assert document("InventorySetQuantities", "2026-10").since == "2026-04"


IDEMPOTENT = re.compile(r"\s*@idempotent\(key: \$idempotencyKey\)|\s*\$idempotencyKey: String!,?")


@pytest.mark.parametrize("name", ["InventorySetQuantities", "RefundCreate"])
def test_mutations_made_idempotent_carry_the_key_from_2026_01(name: str) -> None:
    """Shopify accepts @idempotent(key:) on these from 2026-01 and requires it from 2026-04 (API-FACTS §1)."""
    assert "@idempotent" not in document(name, "2025-10").text
    for version in ("2026-01", "2026-04", "2026-10"):
        text = graphql.print_ast(graphql.parse(document(name, version).text))
        assert "@idempotent(key: $idempotencyKey)" in text and "$idempotencyKey: String!" in text
        # Everything else validates against the only official schema we have (2025-01 predates the directive).
        assert _errors(official_schema(), Document(name, IDEMPOTENT.sub("", document(name, version).text))) == []


def test_2026_04_inventory_document_drops_compare_quantity() -> None:
    """2026-04 removed ignoreCompareQuantity/compareQuantity; changeFromQuantity travels in the variables."""
    old, new = document("InventorySetQuantities", "2026-01"), document("InventorySetQuantities", "2026-04")
    old_ast, new_ast = graphql.print_ast(graphql.parse(old.text)), graphql.print_ast(graphql.parse(new.text))
    assert "ignoreCompareQuantity: true" in old_ast
    assert "ignoreCompareQuantity" not in new_ast and "compareQuantity" not in new_ast
    # Its operation and variables are those of the 2025-01 one, so the same code sends either.
    variables = [graphql.print_ast(d).split(")")[0] for d in (graphql.parse(new.text), graphql.parse(old.text))]
    assert variables[0] == variables[1]
    # Shapes both versions share still validate against the only official schema we have.
    assert _errors(official_schema(), Document(new.name, IDEMPOTENT.sub("", new.text))) == []


def test_bulk_documents_use_no_fragments() -> None:
    for doc in all_documents():
        if doc.name.startswith("bulk/"):
            assert "..." not in doc.text, f"{doc.name}: bulk operation strings are sent without fragments"
