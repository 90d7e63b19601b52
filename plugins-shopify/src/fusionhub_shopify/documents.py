"""The GraphQL documents the plugin sends, kept as .graphql files in `graphql/`.

A document names the fragments it spreads; they are appended from `graphql/fragments/`.
A directory named after an API version (`graphql/2026-04/`) holds documents that replace the
base ones from that version on. `graphql/bulk/` holds the query strings of bulk operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from fusionhub_shopify.config import BASE_API_VERSION, DEFAULT_API_VERSION

_SPREAD = re.compile(r"\.\.\.\s*([A-Z]\w*)")
_VERSION_DIR = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    text: str
    since: str = BASE_API_VERSION  # first API version this text is meant for


def _root() -> Traversable:
    return resources.files("fusionhub_shopify").joinpath("graphql")


@cache
def _fragments() -> dict[str, str]:
    folder = _root().joinpath("fragments")
    return {
        f.name.removesuffix(".graphql"): f.read_text("utf-8") for f in folder.iterdir() if f.name.endswith(".graphql")
    }


def _with_fragments(text: str) -> str:
    fragments = _fragments()
    needed: list[str] = []
    pending = _SPREAD.findall(text)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.append(name)
        pending.extend(_SPREAD.findall(fragments[name]))
    return "\n".join([text.strip(), *(fragments[n].strip() for n in sorted(needed))]) + "\n"


@cache
def _versions() -> tuple[str, ...]:
    return tuple(sorted(d.name for d in _root().iterdir() if _VERSION_DIR.match(d.name)))


@cache
def document(name: str, api_version: str = DEFAULT_API_VERSION) -> Document:
    """The document `name` as sent to a store on `api_version`."""
    for version in reversed(_versions()):
        candidate = _root().joinpath(version, f"{name}.graphql")
        if version <= api_version and candidate.is_file():
            return Document(name, _with_fragments(candidate.read_text("utf-8")), since=version)
    return Document(name, _with_fragments(_root().joinpath(f"{name}.graphql").read_text("utf-8")))


def bulk_document(name: str) -> Document:
    """A bulk operation's query or mutation string (sent as a variable, never with fragments)."""
    return Document(f"bulk/{name}", _root().joinpath("bulk", f"{name}.graphql").read_text("utf-8"))


def base_names() -> list[str]:
    return sorted(f.name.removesuffix(".graphql") for f in _root().iterdir() if f.name.endswith(".graphql"))


def all_documents() -> list[Document]:
    """Every document the plugin can send: base, bulk, and each version-specific one."""
    docs = [document(name) for name in base_names()]
    docs += [bulk_document(f.name.removesuffix(".graphql")) for f in _root().joinpath("bulk").iterdir()]
    for version in _versions():
        for f in _root().joinpath(version).iterdir():
            if f.name.endswith(".graphql"):
                docs.append(document(f.name.removesuffix(".graphql"), version))
    return docs
