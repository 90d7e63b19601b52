"""docs/reference/ is generated from the code (`fusionhub reference`) and kept up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fusionhub.capabilities import Capability
from fusionhub.cli import cli
from fusionhub.cli.reference import MEANINGS, PAGES, pages, stale, type_name
from fusionhub.contracts import AuthKind, Level, Once
from fusionhub.plugin import Page, Product

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference"


def test_the_committed_pages_are_up_to_date() -> None:
    assert not stale(REFERENCE), "docs/reference is out of date: run `fusionhub reference` and commit it"


def test_check_fails_on_a_stale_page_and_names_it(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["reference", "--out", str(tmp_path)]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PAGES)
    assert runner.invoke(cli, ["reference", "--out", str(tmp_path), "--check"]).exit_code == 0
    (tmp_path / "manifest.md").write_text("edited by hand\n")
    result = runner.invoke(cli, ["reference", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 1 and "out of date in" in result.output and "manifest.md" in result.output


def test_every_capability_has_its_params_and_result_fields() -> None:
    text = pages()["capabilities.md"]
    for capability in Capability:
        assert f"## {capability.value}\n" in text
    assert "| `limit` | `int` |  | `50` |" in text  # ListProductsParams.limit
    assert "| `product_id` | `str` | yes |" in text
    assert "### Page[Product]" in text and "### Variant" in text and "### Money" in text


def test_manifest_rate_limit_auth_and_api_pages_name_what_they_document() -> None:
    generated = pages()
    assert "| `credential_fields` |" in generated["manifest.md"] and "| `once` |" in generated["manifest.md"]
    assert "## CostBased" in generated["rate-limits.md"] and "| `max_cost` |" in generated["rate-limits.md"]
    for kind in AuthKind:
        assert f"| `{kind.value}` |" in generated["auth.md"]
    api = generated["plugin-api.md"]
    assert "| `conformance_suite` |" not in api  # the kit is fusionhub.testing, not the plugin API
    assert "| `hookimpl` |" in api and "| `SignedDelivery` | class |" in api


@pytest.mark.parametrize("kind", [AuthKind, Level, Once])
def test_every_enum_value_has_a_meaning(kind: type) -> None:
    assert all(MEANINGS.get(member) for member in kind)


def test_type_names_are_readable() -> None:
    assert type_name(Page[Product]) == "Page[Product]"
    assert type_name(list[Product] | None) == "list[Product] | None"
