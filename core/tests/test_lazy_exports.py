"""`fusionhub` and `fusionhub.plugin` import their names on first use; what type checkers see
(the `if TYPE_CHECKING:` imports) and what the interpreter resolves must be the same names."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

FACADES = ["fusionhub", "fusionhub.plugin"]


def _type_checking_imports(module_name: str) -> dict[str, str]:
    """{name: module} of the `from module import name` lines under the module's `if TYPE_CHECKING:`."""
    module = importlib.import_module(module_name)
    tree = ast.parse(Path(module.__file__ or "").read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    return {
        alias.name: node.module or "" for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }


@pytest.mark.parametrize("facade", FACADES)
def test_type_checkers_and_the_interpreter_see_the_same_names(facade: str) -> None:
    module = importlib.import_module(facade)
    declared = _type_checking_imports(facade)
    assert sorted(declared) == sorted(module.__all__)
    for name, source in declared.items():
        value = getattr(module, name)
        origin = importlib.import_module(source)
        expected = getattr(origin, name, None) or importlib.import_module(f"{source}.{name}")
        assert value is expected, f"{facade}.{name} is not {source}.{name}"
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("facade", FACADES)
def test_an_unknown_name_is_an_attribute_error(facade: str) -> None:
    module = importlib.import_module(facade)
    with pytest.raises(AttributeError, match=f"module '{facade}' has no attribute 'NoSuchName'"):
        _ = module.NoSuchName


def test_importing_the_facades_imports_none_of_the_heavy_modules() -> None:
    """A fresh interpreter: `import fusionhub, fusionhub.plugin` loads no pydantic, httpx or models."""
    code = (
        "import sys, fusionhub, fusionhub.plugin;"
        "print(sorted(m for m in ('pydantic', 'httpx', 'fusionhub.models', 'fusionhub.hub') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.strip() == "[]"
