"""fusionhub.graphql: a GraphQL response's data or its mapped error; mutation payloads and their user errors."""

from __future__ import annotations

import httpx
import pytest

from fusionhub.errors import AuthError, NotFound, PlatformError, TransientError, ValidationError
from fusionhub.graphql import data_of, field_errors, is_mutation, json_body, payload, present
from fusionhub.http import DEFAULT_ERRORS, ErrorRow, field_is, has_field

TABLE = DEFAULT_ERRORS.extend(
    ErrorRow(None, AuthError, "denied", when=field_is("errors.extensions.code", "ACCESS_DENIED")),
    ErrorRow(200, PlatformError, "rejected", when=has_field("errors")),
)


def _answer(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", "https://api.example/graphql"), **kwargs)  # type: ignore[arg-type]


def test_the_body_is_parsed_once_and_kept() -> None:
    response = _answer(200, json={"data": {"a": 1}})
    first = json_body(response)
    assert json_body(response) is first
    assert json_body(_answer(200, content=b"not json")) is None


def test_data_passes_and_errors_at_200_map_through_the_table() -> None:
    assert data_of(_answer(200, json={"data": {"shop": {}}}), TABLE, operation="q") == {"shop": {}}
    coded = {"errors": [{"message": "no", "extensions": {"code": "ACCESS_DENIED"}}], "data": None}
    with pytest.raises(AuthError, match="q: denied") as caught:
        data_of(_answer(200, json=coded), TABLE, operation="q", platform="demo")
    assert caught.value.platform == "demo" and caught.value.details["operation"] == "q"
    with pytest.raises(PlatformError, match="rejected"):
        data_of(_answer(200, json={"errors": [{"message": "x"}]}), TABLE, operation="q")


@pytest.mark.parametrize(("body", "said"), [({"data": None}, "no data"), (None, "a malformed response")])
def test_a_body_without_data_is_transient(body: object, said: str) -> None:
    response = _answer(200, json=body) if body is not None else _answer(200, content=b'{"data": {"cut')
    with pytest.raises(TransientError, match=said):
        data_of(response, TABLE, operation="q")


def test_user_errors_are_validation_errors_with_their_field_paths() -> None:
    data = {"productUpdate": {"product": None, "userErrors": [{"field": ["product", "title"], "message": "blank"}]}}
    with pytest.raises(ValidationError) as caught:
        payload(data, "productUpdate", prefix="changes", platform="demo")
    assert caught.value.errors == [{"loc": "changes.product.title", "msg": "blank"}]
    assert payload({"m": {"ok": True, "userErrors": []}}, "m") == {"ok": True, "userErrors": []}
    assert field_errors([{"message": "whole input"}]) == [{"loc": "input", "msg": "whole input"}]
    with pytest.raises(ValidationError):
        payload(
            {"c": {"orderCancelUserErrors": [{"field": None, "message": "x"}]}}, "c", errors_key="orderCancelUserErrors"
        )
    with pytest.raises(PlatformError, match="no m payload"):
        payload({"m": None}, "m")


def test_null_is_not_found_and_mutations_are_recognised() -> None:
    assert present({"product": {"id": 1}}, "product", "product 1") == {"id": 1}
    with pytest.raises(NotFound, match="no product 2"):
        present({"product": None}, "product", "product 2")
    assert is_mutation("  mutation M { x }") and not is_mutation("query Q { x }")
