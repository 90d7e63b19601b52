"""MkDocs hooks (mkdocs.yml `hooks:`): the site is the repository's own Markdown, nothing copied.

* The READMEs outside docs/ (the repository's, core's, each plugin's, the benchmarks') become
  pages, and the capability reference is generated from core's capability table and each
  plugin's manifest (data, never imported).
* Links between those files are rewritten to the pages they became; a link to anything the
  site does not hold (a source file, a folder) keeps its text and loses its target, so
  `mkdocs build --strict` fails only on links that are really broken.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
DOCS = "docs"
PLUGIN_DIRS = sorted(p for p in ROOT.glob("plugins-*") if (p / "README.md").exists())
# Repository path → site page, for every Markdown file outside docs/ that the site shows.
EXTRA_PAGES = {
    "README.md": "index.md",
    "core/README.md": "core.md",
    "bench/README.md": "bench.md",
    **{f"{p.name}/README.md": f"plugins/{p.name.removeprefix('plugins-')}.md" for p in PLUGIN_DIRS},
    **{f"{p}/CHANGELOG.md": f"changelogs/{p}.md" for p in ["core", *(p.name for p in PLUGIN_DIRS)]},
}
LEVELS_PAGE = "reference/levels.md"  # beside the committed reference/*.md (`fusionhub reference`)
LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)", re.M)


def _site_of() -> dict[str, str]:
    pages = {
        f"{DOCS}/{p.relative_to(ROOT / DOCS).as_posix()}": p.relative_to(ROOT / DOCS).as_posix()
        for p in (ROOT / DOCS).rglob("*.md")
    }
    return {**pages, **EXTRA_PAGES}


def _repo_path_of(page_uri: str) -> str:
    back = {site: repo for repo, site in _site_of().items()}
    return back.get(page_uri, f"{DOCS}/{page_uri}")


def on_files(files: Files, config: Any) -> Files:
    for repo_path, site_path in EXTRA_PAGES.items():
        if (ROOT / repo_path).exists():
            files.append(File.generated(config, site_path, abs_src_path=str(ROOT / repo_path)))
    files.append(File.generated(config, LEVELS_PAGE, content=capability_reference()))
    return files


def _rewrite(link: re.Match[str], here_repo: str, here_site: str, site_of: dict[str, str]) -> str:
    text, target = link.group(1), link.group(2)
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return link.group(0)  # a URL, or an anchor on this page
    path, _, anchor = target.partition("#")
    repo_target = posixpath.normpath(posixpath.join(posixpath.dirname(here_repo), path))
    site_target = site_of.get(repo_target)
    if site_target is None:
        return text  # a source file or a folder: not part of the site
    relative = posixpath.relpath(site_target, posixpath.dirname(here_site) or ".")
    return f"[{text}]({relative}{'#' + anchor if anchor else ''})"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    here_site = page.file.src_uri
    here_repo = _repo_path_of(here_site)
    site_of = _site_of()
    parts = FENCE.split(markdown)
    # FENCE.split keeps the fence markers: text, marker, code, marker, text, …; rewrite text only.
    out, in_code = [], False
    for part in parts:
        if FENCE.fullmatch(part):
            in_code = not in_code
            out.append(part)
        elif in_code:
            out.append(part)
        else:
            out.append(LINK.sub(lambda m: _rewrite(m, here_repo, here_site, site_of), part))
    return "".join(out)


def capability_reference() -> str:
    """The 15 capabilities (core's table) and each platform's declared level (its manifest)."""
    from fusionhub.capabilities import CAPABILITY_SPECS

    manifests = {}
    for plugin in PLUGIN_DIRS:
        for manifest in (plugin / "src").glob("*/manifest.toml"):
            data = tomllib.loads(manifest.read_text())
            manifests[data["name"]] = data.get("capabilities", {})
    lines = [
        "# Levels per platform",
        "",
        "Every platform plugin implements each of these capabilities at a declared level:",
        "**native**, **workaround** (a documented composition of other calls) or **unsupported**",
        "(refused before any request, with an explanation and a manual workaround).",
        "Generated from `fusionhub.capabilities` and each plugin's `manifest.toml`;",
        "`fusionhub plugins matrix` shows the same for what is installed.",
        "",
        "| capability | group | writes | params | result | what |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in CAPABILITY_SPECS.items():
        result = getattr(spec.result, "__name__", str(spec.result))
        writes = "yes" if spec.writes else "no"
        lines.append(f"| `{name}` | {spec.group} | {writes} | `{spec.params.__name__}` | `{result}` | {spec.summary} |")
    lines += ["", "## Levels per platform", "", "| capability | " + " | ".join(manifests) + " |"]
    lines.append("|---|" + "---|" * len(manifests))
    for name in CAPABILITY_SPECS:
        levels = [caps.get(str(name), {}).get("level", "—") for caps in manifests.values()]
        lines.append(f"| `{name}` | " + " | ".join(levels) + " |")
    return "\n".join(lines) + "\n"
