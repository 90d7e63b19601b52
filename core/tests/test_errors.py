"""The error taxonomy: a category, a message for people, structured details, never a credential."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusionhub import (
    AuthError,
    AutomationDisabled,
    CapabilityUnsupported,
    Credentials,
    ErrorCategory,
    FusionHubError,
    NotFound,
    PlatformError,
    PluginLoadError,
    RateLimited,
    Store,
    TransientError,
    ValidationError,
)
from fusionhub.errors import _is_secret_key, from_pydantic, safe_details
from fusionhub.observability.redaction import REDACTED, scrub
from fusionhub.params import GetInventoryParams
from fusionhub.testing.canary import canary

# Each error class, how to build one, and the category it must carry.
TAXONOMY: list[tuple[type[FusionHubError], ErrorCategory]] = [
    (RateLimited, ErrorCategory.RATE_LIMIT),
    (AuthError, ErrorCategory.AUTH),
    (ValidationError, ErrorCategory.VALIDATION),
    (NotFound, ErrorCategory.NOT_FOUND),
    (TransientError, ErrorCategory.TRANSIENT),
    (PlatformError, ErrorCategory.PLATFORM),
    (CapabilityUnsupported, ErrorCategory.UNSUPPORTED),
    (AutomationDisabled, ErrorCategory.REFUSED),
    (PluginLoadError, ErrorCategory.PLUGIN_LOAD),
]


def build(cls: type[FusionHubError], **details: object) -> FusionHubError:
    if cls is RateLimited:
        return RateLimited(2.5, details=details, platform="shop")
    if cls is CapabilityUnsupported:
        return CapabilityUnsupported("webhooks", "No webhooks here.", manual_workaround="Poll.", platform="shop")
    if cls is ValidationError:
        return ValidationError(errors=[{"loc": "params.title", "msg": "too long"}], details=details, platform="shop")
    return cls(details=details, platform="shop")


@pytest.mark.parametrize(("cls", "category"), TAXONOMY, ids=lambda v: getattr(v, "__name__", str(v)))
def test_each_error_has_category_message_and_details(cls: type[FusionHubError], category: ErrorCategory) -> None:
    error = build(cls, order_id="o1")
    assert isinstance(error, FusionHubError) and error.category is category
    assert error.user_message and str(error) == error.user_message
    data = error.to_dict()
    assert data["category"] == category.value and data["error"] == cls.__name__ and data["platform"] == "shop"
    assert data["message"] == error.user_message
    assert repr(error).startswith(f"{cls.__name__}(") and f"category={category.value!r}" in repr(error)


@pytest.mark.parametrize(("cls", "category"), TAXONOMY, ids=lambda v: getattr(v, "__name__", str(v)))
def test_no_credential_inside_any_error(cls: type[FusionHubError], category: ErrorCategory) -> None:
    secret = canary("token")
    store = Store(platform="shop", credentials={"access_token": secret, "refresh_token": canary("refresh")})
    # A plugin attaching secrets by mistake, under secret-looking keys, nested too.
    error = build(
        cls,
        access_token=secret,
        Authorization=f"Bearer {secret}",
        request={"headers": {"X-Api-Key": secret}, "path": "/orders"},
        store=repr(store),
    )
    text = f"{error} {error!r} {error.to_dict()} {error.details}"
    assert secret not in text
    if cls not in {CapabilityUnsupported}:
        assert error.details["access_token"] == REDACTED
        assert error.details["request"] == {"headers": {"X-Api-Key": REDACTED}, "path": "/orders"}


def test_rate_limited_carries_retry_after() -> None:
    error = RateLimited(1.25)
    assert error.retry_after == 1.25 and error.details["retry_after"] == 1.25
    assert "Retry after 1.250s" in str(error)
    assert RateLimited(-3).retry_after == 0.0  # a clock skew never asks to wait negative time


def test_validation_error_lists_every_field() -> None:
    error = ValidationError(errors=[{"loc": "a.b", "msg": "bad"}, {"loc": "c", "msg": "missing"}])
    assert str(error) == "Invalid input: a.b: bad; c: missing"
    assert error.details["errors"] == error.errors
    assert str(ValidationError("plain")) == "plain"


def test_from_pydantic_keeps_field_paths() -> None:
    import pydantic

    with pytest.raises(pydantic.ValidationError) as raw:
        GetInventoryParams.model_validate({"skus": [1], "extra": True})
    error = from_pydantic(raw.value, prefix="params.", platform="shop")
    assert {e["loc"] for e in error.errors} == {"params.skus.0", "params.extra"}
    assert error.platform == "shop"


def test_capability_unsupported_speaks_to_the_user() -> None:
    error = CapabilityUnsupported("webhooks", "No webhooks here.", manual_workaround="Poll orders.", platform="shop")
    assert str(error) == "webhooks is not supported on shop: No webhooks here. Manual workaround: Poll orders."
    assert error.details == {"capability": "webhooks", "manual_workaround": "Poll orders."}
    assert str(CapabilityUnsupported("webhooks", "None.")) == "webhooks is not supported on this platform: None."


def test_credentials_never_show_and_are_scrubbed_from_any_text() -> None:
    secret = canary("api")
    creds = Credentials({"api_key": secret, "shop": "mine"})
    assert secret not in repr(creds) and secret not in str(creds) and secret not in repr(Store("x", creds))
    assert creds["api_key"] == secret and creds.reveal() == {"api_key": secret, "shop": "mine"}
    assert scrub(f"GET /x?key={secret} failed") == f"GET /x?key={REDACTED} failed"
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(creds)
    rotated = creds.replace(api_key=canary("rotated"), shop=None)
    assert list(rotated) == ["api_key"] and rotated["api_key"] not in repr(rotated)


@given(
    st.dictionaries(
        st.sampled_from(["order_id", "access_token", "X-Api-Key", "client_secret", "path", "Cookie", "sku"])
        | st.text(max_size=10),
        st.text(max_size=12) | st.dictionaries(st.sampled_from(["token", "status"]), st.text(max_size=5)),
        max_size=6,
    )
)
def test_safe_details_keeps_every_key_and_redacts_secret_looking_ones(details: dict[str, object]) -> None:
    cleaned = safe_details(details)
    assert set(cleaned) == set(details)
    for key, value in details.items():
        if _is_secret_key(key):
            assert cleaned[key] == REDACTED
        elif isinstance(value, dict):
            assert cleaned[key] == {k: REDACTED if _is_secret_key(k) else v for k, v in value.items()}
        else:
            assert cleaned[key] == value


def test_a_made_up_field_name_is_quoted_in_the_path_and_the_message_stays_one_line() -> None:
    import pydantic

    from fusionhub.errors import from_pydantic

    class Strict(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        limit: int = 1

    with pytest.raises(pydantic.ValidationError) as caught:
        Strict.model_validate({"limit": 2, "\n": None, "a.b": 1, "": 0})
    error = from_pydantic(caught.value, prefix="params.")
    assert {e["loc"] for e in error.errors} == {"params.'\\n'", "params.'a.b'", "params.''"}
    assert "\n" not in error.user_message
