"""Run the code blocks of Markdown documents (a README, a guide) as tests, against the sandboxes.

Every fenced block is run, checked, or exempted with a reason; none is silently left out:

- `python` blocks run, each in a fresh namespace (`__file__`: the Markdown file), top-level
  `await` allowed (as in `python -m asyncio` or a notebook). A store connected without a transport goes to its
  plugin's sandbox, and the placeholders `YOUR_ACCESS_TOKEN`, `YOUR_CLIENT_ID`,
  `YOUR_CLIENT_SECRET` and `YOUR_REFRESH_TOKEN` become the sandbox credentials every sandbox
  accepts (`fusionhub.sandbox.credentials`); a test may add replacements of its own.
- shell blocks (`bash`, `sh`, `shell`, `console`) run their `fusionhub …` commands, each as
  `python -m fusionhub.cli …` with `FUSIONHUB_SANDBOX=1`, and each must exit 0. Installs
  (`pip install`, `uv pip install`) are taken as done: the tests run where they were. A block
  with any other command, or with nothing to run, must be exempted.
- `toml` and `json` blocks are parsed.
- Anything else (a directory tree, PromQL, a synopsis) must be exempted.

Exempt a block with an HTML comment on the line just above its fence, which no page shows:

    <!-- not-run: needs a real PostgreSQL server -->
    ```bash
    fusionhub db upgrade --database postgresql://…
    ```

Everything runs in a `SnippetRunner`'s working directory, which is also its data directory (the
SQLite database, the key file), so a block may write files where it stands.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusionhub.sandbox.credentials import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
)

PYTHON = frozenset({"python", "py", "python3"})
SHELL = frozenset({"bash", "sh", "shell", "console"})
PARSED = frozenset({"toml", "json"})

SANDBOX_PLACEHOLDERS: Mapping[str, str] = {
    "YOUR_ACCESS_TOKEN": SANDBOX_ACCESS_TOKEN,
    "YOUR_CLIENT_ID": SANDBOX_CLIENT_ID,
    "YOUR_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
    "YOUR_REFRESH_TOKEN": SANDBOX_REFRESH_TOKEN,
}
"""Placeholders a runnable block may hold, and the sandbox value each becomes."""

INSTALLERS = (("pip", "install"), ("uv", "pip", "install"), ("python", "-m", "pip", "install"))
"""Commands taken as done: the environment the tests run in has what they install."""

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\s]*)[^`]*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:(?P<why>.*?)-->\s*$")


class SnippetError(AssertionError):
    """A block failed, or can be neither run nor left out (it names the file and line)."""


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block: where it starts (1-based line of its opening fence), its info string's
    first word (`lang`), its text with the fence's indentation removed, and why it is not run."""

    path: Path
    line: int
    lang: str
    code: str
    not_run: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    @property
    def kind(self) -> str:
        """`python`, `shell`, `parsed` or `other` (which must be exempted)."""
        lang = self.lang.lower()
        return "python" if lang in PYTHON else "shell" if lang in SHELL else "parsed" if lang in PARSED else "other"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, in order; an unclosed fence is an error."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if end == len(lines):
            raise SnippetError(f"{path.name}:{i + 1}: the fence opened here is never closed")
        body = "\n".join(line[indent:] if line[:indent].strip() == "" else line for line in lines[i + 1 : end])
        marker = _NOT_RUN.match(lines[i - 1]) if i > 0 else None
        if marker is None and i > 1 and not lines[i - 1].strip() and _NOT_RUN.match(lines[i - 2]):
            raise SnippetError(f"{path.name}:{i - 1}: a `not-run:` marker goes on the line just above the fence")
        why = marker["why"].strip() if marker else None
        if marker is not None and not why:
            raise SnippetError(f"{path.name}:{i}: `not-run:` needs a reason")
        found.append(Block(path, i + 1, opening["info"], body + "\n", why))
        i = end + 1
    return found


def shell_commands(block: Block) -> list[tuple[dict[str, str], list[str]]]:
    """The `fusionhub` commands of a shell block, each with the variables set before it on its line;
    installs are dropped. Any other command raises: the block must be exempted."""
    text = re.sub(r"\\\n", " ", block.code)  # continuation lines
    commands: list[tuple[dict[str, str], list[str]]] = []
    for line in text.split("\n"):
        words = shlex.split(line, comments=True)
        for command in _split_and(words):
            env: dict[str, str] = {}
            while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", command[0]):
                name, _, value = command.pop(0).partition("=")
                env[name] = value
            if any(tuple(command[: len(i)]) == i for i in INSTALLERS):
                continue
            if not command or command[0] != "fusionhub":
                raise SnippetError(
                    f"{block.where}: `{' '.join(command) or line}` is not a fusionhub command; "
                    "mark the block `<!-- not-run: why -->` if it is not meant to run here"
                )
            commands.append((env, command[1:]))
    if not commands:
        raise SnippetError(f"{block.where}: nothing to run (only installs); mark it `<!-- not-run: why -->`")
    return commands


def _split_and(words: list[str]) -> Iterator[list[str]]:
    current: list[str] = []
    for word in words:
        if word == "&&":
            yield current
            current = []
        else:
            current.append(word)
    if current:
        yield current


class SnippetRunner:
    """Runs blocks in `workdir` (the working and data directory), stores routed to the sandboxes.

    `replacements` are applied to a Python block's text after `SANDBOX_PLACEHOLDERS` (for
    instance a shop domain that the sandbox answers for). `env` adds environment variables for
    shell commands and Python blocks alike.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        replacements: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 180.0,
    ) -> None:
        self.workdir = workdir
        self.replacements = {**SANDBOX_PLACEHOLDERS, **(replacements or {})}
        self.timeout = timeout
        self.env = {
            "FUSIONHUB_DATABASE_URL": f"sqlite:///{workdir / 'hub.db'}",
            "FUSIONHUB_SECRET_KEY_FILE": str(workdir / "keys"),
            "FUSIONHUB_SANDBOX": "1",
            **(env or {}),
        }

    def run(self, block: Block) -> str:
        """Run or check one block; returns what it printed. Raises SnippetError naming the block."""
        if block.not_run is not None:
            raise SnippetError(f"{block.where} is exempted ({block.not_run}); do not run it")
        if block.kind == "python":
            return self.run_python(block)
        if block.kind == "shell":
            return self.run_shell(block)
        if block.kind == "parsed":
            self.parse(block)
            return ""
        kind = block.lang or "plain"
        raise SnippetError(f"{block.where}: a `{kind}` block cannot run; mark it `<!-- not-run: why -->`")

    @staticmethod
    def parse(block: Block) -> None:
        try:
            tomllib.loads(block.code) if block.lang.lower() == "toml" else json.loads(block.code)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise SnippetError(f"{block.where}: not valid {block.lang}: {exc}") from None

    def run_shell(self, block: Block) -> str:
        printed = []
        for extra, args in shell_commands(block):
            done = subprocess.run(  # noqa: S603 - the documented command, as argv, no shell
                [sys.executable, "-m", "fusionhub.cli", *args],
                cwd=self.workdir,
                env={**os.environ, **self.env, **extra},
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
            if done.returncode != 0:
                raise SnippetError(
                    f"{block.where}: `fusionhub {shlex.join(args)}` exited {done.returncode}:\n{done.stderr[-2000:]}"
                )
            printed.append(done.stdout)
        return "".join(printed)

    def run_python(self, block: Block) -> str:
        code = block.code
        for placeholder, value in self.replacements.items():
            code = code.replace(placeholder, value)
        # Blank lines first, so a traceback's line numbers are the document's.
        source = "\n" * block.line + code
        compiled = compile(source, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        namespace: dict[str, Any] = {"__name__": "__snippet__", "__file__": str(block.path)}
        out = _Capture()
        with self._environment(), sandboxed_stores(), contextlib.redirect_stdout(out):
            result = eval(compiled, namespace)  # noqa: S307 - the document's own code, run as its test
            if inspect.iscoroutine(result):
                asyncio.run(result)
        return out.getvalue()

    @contextlib.contextmanager
    def _environment(self) -> Iterator[None]:
        saved = {name: os.environ.get(name) for name in self.env}
        cwd = Path.cwd()
        os.environ.update(self.env)
        os.chdir(self.workdir)
        try:
            yield
        finally:
            os.chdir(cwd)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class _Capture:
    """stdout for a block: kept for the test and passed through, so a failure shows what was printed."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.through = sys.stdout

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.through.write(text)

    def flush(self) -> None:
        self.through.flush()

    def getvalue(self) -> str:
        return "".join(self.parts)


@contextlib.contextmanager
def sandboxed_stores() -> Iterator[None]:
    """While open, `Hub.connect` without a transport (and so every `Runtime`) routes the store to a
    sandbox of its plugin, one per hub and platform, on the hub's clock."""
    from fusionhub.hub import Hub

    original = Hub.connect

    def connect(self: Hub, store: Any, *, transport: Any = None, **kwargs: Any) -> Any:
        if transport is None:
            sandboxes = self.__dict__.setdefault("_snippet_sandboxes", {})
            if store.platform not in sandboxes:
                hook = self.registry.platform(store.platform).impls.get("fusionhub_sandbox")
                if hook is None:
                    raise SnippetError(f"{store.platform} has no sandbox: its blocks cannot run offline")
                sandboxes[store.platform] = hook(clock=self.clock, options={})
            transport = sandboxes[store.platform].transport()
        return original(self, store, transport=transport, **kwargs)

    Hub.connect = connect  # type: ignore[method-assign]
    try:
        yield
    finally:
        Hub.connect = original  # type: ignore[method-assign]
