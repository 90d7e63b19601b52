"""`quick_init` and `builder` make the same instances as the dataclass's own `__init__`."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusionhub.capabilities import Capability
from fusionhub.contracts import Level
from fusionhub.fastinit import builder, quick_init
from fusionhub.hub import Outcome, _build_outcome
from fusionhub.observability.records import ApiCall, CapabilityCall, build_api_call, build_capability_call


def twin(cls: type) -> type:
    """The class as plain `dataclass(frozen=True, slots=True)` makes it: its generated __init__."""
    spec = [
        (f.name, f.type) if f.default is dataclasses.MISSING else (f.name, f.type, dataclasses.field(default=f.default))
        for f in dataclasses.fields(cls)
    ]
    return dataclasses.make_dataclass(cls.__name__, spec, frozen=True, slots=True)


def values(made: Any) -> tuple[Any, ...]:
    return tuple(getattr(made, f.name) for f in dataclasses.fields(made))


CASES = [(ApiCall, build_api_call), (CapabilityCall, build_capability_call), (Outcome, _build_outcome)]


@pytest.mark.parametrize(("cls", "build"), CASES)
def test_the_signature_is_the_dataclasses_own(cls: type, build: Any) -> None:
    expected = inspect.signature(twin(cls))
    for function in (cls, build):
        got = inspect.signature(function)
        assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == [
            (p.name, p.kind, p.default) for p in expected.parameters.values()
        ]


@pytest.mark.parametrize(("cls", "build"), CASES)
@given(data=st.data())
def test_every_way_of_building_gives_the_same_instance(cls: type, build: Any, data: st.DataObject) -> None:
    fields = dataclasses.fields(cls)
    args = [
        data.draw(st.one_of(st.none(), st.integers(), st.text(max_size=5), st.floats(allow_nan=False))) for _ in fields
    ]
    # Some trailing defaults left out, the rest passed by keyword.
    given_count = data.draw(
        st.integers(min_value=sum(f.default is dataclasses.MISSING for f in fields), max_value=len(fields))
    )
    by_position = args[:given_count]
    by_keyword = {f.name: a for f, a in zip(fields[:given_count], by_position, strict=True)}
    reference = twin(cls)(*by_position)
    for made in (cls(*by_position), cls(**by_keyword), build(*by_position), build(**by_keyword)):
        assert type(made) is cls
        assert values(made) == values(reference)
        assert made == cls(*by_position) and repr(made) == repr(cls(*by_position))


def test_the_records_stay_frozen_and_hashable() -> None:
    call = build_api_call("shop", "s1", "get_product", "GET", "/p", 200, 1.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.status = 500  # type: ignore[misc]
    assert hash(call) == hash(ApiCall("shop", "s1", "get_product", "GET", "/p", 200, 1.5))
    assert dataclasses.replace(call, status=404).status == 404 and dataclasses.asdict(call)["cost"] == 1.0
    outcome = _build_outcome(1, Capability.GET_PRODUCT, "shop", Level.NATIVE, None, 2.0)
    assert outcome.cached is False and not outcome.ran_as_workaround


def test_classes_it_cannot_build_faithfully_are_refused() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (Mutable, NoSlots, Factory, PostInit):
        with pytest.raises(TypeError):
            quick_init(cls)
        with pytest.raises(TypeError):
            builder(cls)
