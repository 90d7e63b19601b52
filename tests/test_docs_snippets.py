"""Every code block of README.md, the package READMEs and docs/ runs (or is parsed) in the tests,
against the sandboxes, or says why not (`<!-- not-run: why -->`): `fusionhub.testing.snippets`."""

from __future__ import annotations

from pathlib import Path

import pytest

from fusionhub.testing.snippets import Block, SnippetRunner, blocks

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "core" / "README.md", ROOT / "bench" / "README.md"]
DOCUMENTS = sorted([*READMES, *ROOT.glob("plugins-*/README.md"), *ROOT.glob("docs/**/*.md")])
# The sandboxes answer for their own shops: the placeholders the READMEs use for a reader's.
SHOPS = {"YOUR_SHOP.myshopify.com": "sandbox-shop.myshopify.com"}

# Documents whose blocks build on each other (the first adds a store the next ones use): their
# blocks run in order, in one working directory, so each process sees what the previous ones did.
IN_ORDER = [ROOT / "docs" / "cli.md"]

ALL = [block for path in DOCUMENTS for block in blocks(path)]
RUN = [b for b in ALL if b.not_run is None and b.path not in IN_ORDER]


def _id(block: Block) -> str:
    return f"{block.path.relative_to(ROOT)}:{block.line}"


def test_every_document_is_read_and_most_blocks_run() -> None:
    assert ROOT / "README.md" in DOCUMENTS and ROOT / "docs" / "runtime.md" in DOCUMENTS
    assert all(path in DOCUMENTS for path in IN_ORDER)
    assert len(RUN) >= 36 and len(ALL) >= 60, (len(RUN), len(ALL))  # exempted ones give a reason (blocks())


@pytest.mark.parametrize("block", RUN, ids=_id)
def test_a_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    SnippetRunner(tmp_path, replacements=SHOPS).run(block)


@pytest.mark.parametrize("path", IN_ORDER, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_documents_blocks_run_in_order(path: Path, tmp_path: Path) -> None:
    runner = SnippetRunner(tmp_path, replacements=SHOPS)
    output = "".join(runner.run(block) for block in blocks(path) if block.not_run is None)
    if path.name == "cli.md":  # the rename one process made is what the next one reads
        assert "title: Renamed" in output, output


def test_the_readme_tour_lists_the_sandbox_shop_and_queues_its_job(tmp_path: Path) -> None:
    (tour,) = [b for b in blocks(ROOT / "README.md") if b.kind == "python"]
    output = SnippetRunner(tmp_path, replacements=SHOPS).run(tour).splitlines()
    printed = [line for line in output if not line[:4].isdigit()]  # not the log lines
    assert printed[0].startswith("native ['") and printed[-1] == "queued", printed
