"""Frozen slotted dataclasses that are cheap to build: records made on every call.

A frozen dataclass's generated `__init__` stores each field with `object.__setattr__(self, name,
value)`, a generic attribute lookup on the type per field; and calling a class with keywords turns
them into a dict first (a class is not called the fast way in Python 3.11). An API call, a
capability call and its outcome are built per call with 7 to 11 fields each: about a fifth of what
the pipeline costs over a bare httpx call went there.

`quick_init(cls)` gives the class an `__init__` with the same parameters and defaults that stores
each field through its slot's descriptor, and `builder(cls)` a plain function with those parameters
that makes an instance without the type call (hot paths use it). Both are compiled from text made
here once per class, as dataclasses makes its own `__init__`. The instance is the same: the
class, its fields, equality, hash and repr are the dataclass's own, and assigning a field still
raises `FrozenInstanceError`. core/tests/test_fastinit.py compares both with the dataclass's own
`__init__`.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _compile(cls: type, name: str, *, method: bool) -> Callable[..., Any]:
    """A function `name` taking the fields of `cls` as the dataclass's `__init__` does and storing
    each through its slot descriptor's `__set__` (looked up once: a global of the function); as a
    method it stores into `self`, else into a new instance it returns."""
    namespace: dict[str, Any] = {"_cls": cls, "_new": object.__new__}
    params, stores = ["self"] if method else [], []
    for f in dataclasses.fields(cls):
        if not f.init or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: only fields with a plain default, or none")
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        slot = cls.__dict__.get(f.name)
        if not isinstance(slot, types.MemberDescriptorType):
            raise TypeError(f"{cls.__name__} must be a dataclass made with slots=True")
        namespace[f"_set_{f.name}"] = slot.__set__
        stores.append(f"    _set_{f.name}(self, {f.name})")
    head = [f"def {name}({', '.join(params)}):"] + ([] if method else ["    self = _new(_cls)"])
    tail = [] if method else ["    return self"]
    source = "\n".join([*head, *stores, *tail]) + "\n"
    exec(compile(source, f"<{cls.__qualname__}.{name}>", "exec"), namespace)  # noqa: S102 (text made here)
    function: Callable[..., Any] = namespace[name]
    function.__qualname__ = f"{cls.__qualname__}.{name}"
    function.__module__ = cls.__module__
    return function


def _check(cls: type) -> None:
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} must be a frozen dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__, which these would not call")


def quick_init(cls: type[T]) -> type[T]:
    """Give a frozen dataclass made with `slots=True` an `__init__` storing through its slots."""
    _check(cls)
    init = _compile(cls, "__init__", method=True)
    init.__annotations__ = dict(cls.__init__.__annotations__)  # the same signature, annotations included
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def builder(cls: type[T]) -> Callable[..., T]:
    """A function with the parameters of `cls`'s `__init__` returning a new instance, as calling
    the class would (with `quick_init`'s `__init__`), without the type call in front of it."""
    _check(cls)
    return _compile(cls, "build", method=False)
