"""The capability hookspecs and the capability table say the same thing: names, params, results, docs."""

from __future__ import annotations

import inspect
import typing

import pytest

from fusionhub import capabilities, hookspecs, models
from fusionhub.capabilities import CAPABILITY_SPECS, Capability
from fusionhub.context import StoreContext


@pytest.mark.parametrize("capability", list(Capability))
def test_each_capability_hook_takes_and_returns_what_the_table_says(capability: Capability) -> None:
    spec = CAPABILITY_SPECS[capability]
    hook = getattr(hookspecs, capability.hook_name)
    assert inspect.iscoroutinefunction(hook)
    # The hookspecs import these for type checking only: resolve their annotations with them.
    names = vars(hookspecs) | vars(models) | vars(capabilities) | {"StoreContext": StoreContext}
    hints = typing.get_type_hints(hook, names)
    assert list(inspect.signature(hook).parameters) == ["ctx", "params"]
    assert hints["ctx"] is StoreContext
    assert hints["params"] is spec.params
    assert hints["return"] == spec.result


@pytest.mark.parametrize("capability", list(Capability))
def test_each_capability_hook_is_documented_from_the_table(capability: Capability) -> None:
    doc = getattr(hookspecs, capability.hook_name).__doc__
    assert doc is not None and doc.startswith(CAPABILITY_SPECS[capability].summary + ".")
    assert CAPABILITY_SPECS[capability].params.__name__ in doc
