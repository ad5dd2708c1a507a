"""The shell commands written in the project's documentation, for the tests that check and run them.

Every Markdown file a reader is pointed at counts: the README and the docs beside the data, notebooks,
models and configs, and docs/. A new doc file in those folders is picked up without editing a list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOC_FOLDERS = ("data", "notebooks", "models", "configs", "docs")


@dataclass(frozen=True)
class DocCommand:
    doc: Path
    heading: str  # the nearest "## " heading above the block
    command: str


def doc_files(root: Path = Path(".")) -> list[Path]:
    return [root / "README.md", *(p for folder in DOC_FOLDERS for p in sorted((root / folder).glob("*.md")))]


def shell_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(heading above the block, command lines) for every ```bash / ```sh / ```shell block."""
    blocks, heading = [], ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith("## "):
            heading = stripped[3:]
        if stripped in ("```bash", "```sh", "```shell"):
            body = []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i].strip())
                i += 1
            joined = re.sub(r"\\\n\s*", " ", "\n".join(body))  # shell line continuations
            commands = [re.sub(r"\s+#.*$", "", line) for line in joined.splitlines()
                        if line and not line.startswith("#")]
            blocks.append((heading, commands))
        i += 1
    return blocks


def doc_commands(root: Path = Path(".")) -> list[DocCommand]:
    return [DocCommand(doc, heading, command) for doc in doc_files(root)
            for heading, commands in shell_blocks(doc.read_text(encoding="utf-8")) for command in commands]
