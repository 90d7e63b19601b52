"""Lazy re-exports (PEP 562): a facade module's public names are imported on first use.

`fusionhub` and `fusionhub.plugin` re-export names from many modules; importing them all up front
costs a command like `fusionhub --version` most of its start-up (pydantic models, httpx, the
sandbox). Each facade lists its names under `if TYPE_CHECKING:` for type checkers and passes the
same table here for the interpreter; core/tests/test_lazy_exports.py keeps the two alike.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    facade: str, sources: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for module `facade`, resolving each name of `sources`
    ({module: names}) from its module, as `from module import name` would (a submodule too)."""
    where = {name: module for module, names in sources.items() for name in names}

    def __getattr__(name: str) -> Any:
        module_name = where.get(name)
        if module_name is None:
            raise AttributeError(f"module {facade!r} has no attribute {name!r}")
        module = importlib.import_module(module_name)
        try:
            value = getattr(module, name)
        except AttributeError:
            value = importlib.import_module(f"{module_name}.{name}")
        setattr(sys.modules[facade], name, value)  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[facade]), *where})

    return __getattr__, __dir__
