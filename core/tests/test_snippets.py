"""fusionhub.testing.snippets: which blocks run, how an exemption is written, what a failure says."""

from __future__ import annotations

from pathlib import Path

import pytest

from fusionhub.sandbox.credentials import SANDBOX_ACCESS_TOKEN
from fusionhub.testing.snippets import SnippetError, SnippetRunner, blocks, shell_commands

DOC = """# Title

```python
print("one")
```

<!-- not-run: needs a real shop -->
```bash
pytest -k live
```

1. A step:

   ```toml
   [a]
   b = 1
   ```

````markdown
```python
raise SystemExit("inside a longer fence: not a block of its own")
```
````
"""


def _doc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_blocks_are_found_with_their_line_language_indentation_and_exemption(tmp_path: Path) -> None:
    found = blocks(_doc(tmp_path, DOC))
    assert [(b.line, b.lang, b.kind, b.not_run) for b in found] == [
        (3, "python", "python", None),
        (8, "bash", "shell", "needs a real shop"),
        (14, "toml", "parsed", None),
        (19, "markdown", "other", None),
    ]
    assert found[2].code == "[a]\nb = 1\n"  # the list item's indentation removed
    assert "SystemExit" in found[3].code


def test_an_exemption_needs_a_reason_and_a_fence_must_close(tmp_path: Path) -> None:
    with pytest.raises(SnippetError, match=r"README.md:1: `not-run:` needs a reason"):
        blocks(_doc(tmp_path, "<!-- not-run: -->\n```python\npass\n```\n"))
    with pytest.raises(SnippetError, match=r"README.md:1: a `not-run:` marker goes on the line just above"):
        blocks(_doc(tmp_path, "<!-- not-run: far away -->\n\n```python\npass\n```\n"))
    with pytest.raises(SnippetError, match=r"README.md:2: the fence opened here is never closed"):
        blocks(_doc(tmp_path, "text\n```python\npass\n"))


def test_shell_blocks_run_fusionhub_commands_take_installs_as_done_and_refuse_the_rest(tmp_path: Path) -> None:
    text = (
        "```bash\n"
        "pip install ./core && fusionhub plugins list   # a comment\n"
        "FUSIONHUB_STRICT_PLUGINS=1 fusionhub stores add shop acme \\\n  --config '{\"a\": 1}'\n"
        "```\n"
        "```sh\ncurl -s http://127.0.0.1:9464/metrics\n```\n"
        "```sh\npip install fusionhub\n```\n"
    )
    ok, other, installs = blocks(_doc(tmp_path, text))
    assert shell_commands(ok) == [
        ({}, ["plugins", "list"]),
        ({"FUSIONHUB_STRICT_PLUGINS": "1"}, ["stores", "add", "shop", "acme", "--config", '{"a": 1}']),
    ]
    with pytest.raises(SnippetError, match=r"README.md:6: `curl -s http://127.0.0.1:9464/metrics` is not a fusionhub"):
        shell_commands(other)
    with pytest.raises(SnippetError, match="nothing to run"):
        shell_commands(installs)


def test_a_shell_command_that_fails_names_the_block_and_shows_its_error(tmp_path: Path) -> None:
    (block,) = blocks(_doc(tmp_path, "```bash\nfusionhub plugins show no-such-plugin\n```\n"))
    with pytest.raises(SnippetError, match=r"README.md:1: `fusionhub plugins show no-such-plugin` exited 1"):
        SnippetRunner(tmp_path).run(block)


def test_python_runs_with_top_level_await_placeholders_and_its_own_line_numbers(tmp_path: Path) -> None:
    text = (
        "```python\nimport asyncio\n\nawait asyncio.sleep(0)\nprint('YOUR_ACCESS_TOKEN', 'YOUR_SHOP')\n```\n\n"
        "```python\nx = 1\nraise ValueError('from the doc')\n```\n"
    )
    good, bad = blocks(_doc(tmp_path, text))
    assert SnippetRunner(tmp_path, replacements={"YOUR_SHOP": "sandbox-shop"}).run(good).split() == [
        SANDBOX_ACCESS_TOKEN,
        "sandbox-shop",
    ]
    with pytest.raises(ValueError, match="from the doc") as raised:
        SnippetRunner(tmp_path).run(bad)
    frame = raised.traceback[-1]
    assert (Path(str(frame.path)).name, frame.lineno + 1) == ("README.md", 10)  # the raise's line in the file


def test_python_blocks_run_in_the_workdir_with_its_database(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    text = "```python\nimport os\nfrom pathlib import Path\n\nPath('made.txt').write_text(os.environ['FUSIONHUB_DATABASE_URL'])\n```\n"  # noqa: E501
    (block,) = blocks(_doc(tmp_path, text))
    before = Path.cwd()
    SnippetRunner(work).run(block)
    assert Path.cwd() == before and (work / "made.txt").read_text().endswith(str(work / "hub.db"))


def test_a_hub_store_without_a_transport_reaches_its_plugins_sandbox(tmp_path: Path) -> None:
    pytest.importorskip("fusionhub_shopify", reason="a plugin with a sandbox")
    text = """```python
from fusionhub import Hub, Registry, Store

hub = Hub(Registry.discover(allow={"shopify"}))
store = Store(platform="shopify", credentials={"access_token": "YOUR_ACCESS_TOKEN"}, config={"shop": "YOUR_SHOP"})
hub.connect(store)
page = (await hub.execute(store, "list_products", {"limit": 3})).value
print(len(page.items))
await hub.aclose()
```
"""
    (block,) = blocks(_doc(tmp_path, text))
    runner = SnippetRunner(tmp_path, replacements={"YOUR_SHOP": "sandbox-shop.myshopify.com"})
    assert runner.run(block).split()[-1] == "3"


def test_a_toml_block_is_parsed_and_other_blocks_must_be_exempted(tmp_path: Path) -> None:
    bad_toml, plain = blocks(_doc(tmp_path, "```toml\n[a\n```\n```\nsome tree\n```\n"))
    with pytest.raises(SnippetError, match=r"README.md:1: not valid toml"):
        SnippetRunner(tmp_path).run(bad_toml)
    with pytest.raises(SnippetError, match="a `plain` block cannot run"):
        SnippetRunner(tmp_path).run(plain)
