"""Every shell command in the docs' code blocks (README.md and the Markdown beside data/, notebooks/,
models/, configs/) is checked against the code it names, and tests/integration/test_docs_commands_run.py runs the
authfit ones:
`authfit ...` resolves to a real command whose options all exist (and its `--help` runs), `make X` is a
documented Make target, `curl` hits a route in the service's OpenAPI document with a body the route
accepts, and the quick start stays two commands. The CLI reference block is regenerated and compared."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from authfit.cli import app
from doc_commands import doc_commands, doc_files, shell_blocks

BIN = Path(sys.executable).parent


README = Path("README.md")
BLOCKS = shell_blocks(README.read_text(encoding="utf-8"))
DOCS = doc_commands()
COMMANDS = list(dict.fromkeys(c.command for c in DOCS))


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z_-]+):.*## ", Path("Makefile").read_text(encoding="utf-8"), re.MULTILINE))


def resolve(words: list[str]) -> tuple[list[str], object, list[str]]:
    """Walk the command tree: (command path, the click command, remaining words)."""
    command = typer.main.get_command(app)
    path: list[str] = []
    rest = list(words)
    while rest and rest[0] in getattr(command, "commands", {}):
        command = command.commands[rest[0]]
        path.append(rest.pop(0))
    return path, command, rest


def test_readme_has_shell_commands_and_quick_start_is_two_commands():
    quick = [cmds for heading, cmds in BLOCKS if heading.lower().startswith("quick start")]
    assert quick == [["make demo", "make test"]]
    assert len(COMMANDS) >= 8


def test_every_doc_folder_is_read():
    docs = {p.as_posix() for p in doc_files()}
    assert {"README.md", "data/README.md", "data/SIMULATION.md", "notebooks/README.md"} <= docs
    assert {c.doc.as_posix() for c in DOCS} > {"README.md"}, "only the README's commands were found"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("make ")])
def test_make_commands_are_documented_targets(command):
    target = command.split()[1]
    assert target in make_targets(), f"{command}: no '{target}:  ## ...' target in the Makefile"


AUTHFIT = [c for c in COMMANDS if re.match(r"^(\.venv/bin/)?authfit\s", c)]


def check_options(command: str, words: list[str]) -> tuple[list[str], set[str]]:
    """Assert the words name a leaf command and only its options; return its path and the options used."""
    path, click_command, rest = resolve(words)
    assert path and not getattr(click_command, "commands", None), f"{command}: not a command"
    known = {opt for param in click_command.params for opt in (*param.opts, *param.secondary_opts)}
    used = {w.split("=")[0] for w in rest if w.startswith("--")}
    assert used <= known, f"{command}: unknown option(s) {sorted(used - known)}"
    return path, used


@pytest.mark.parametrize("command", AUTHFIT)
def test_authfit_commands_exist_with_their_options(command):
    path, used = check_options(command, shlex.split(command)[1:])
    # and the command really starts from the installed entry point
    result = subprocess.run([str(BIN / "authfit"), *path, "--help"], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert all(opt in result.stdout for opt in used)


def makefile_authfit_commands() -> list[str]:
    """The `$(BIN)/authfit ...` lines of the Makefile's recipes (continuations joined), e.g. `make demo`'s."""
    text = re.sub(r"\\\n\s*", " ", Path("Makefile").read_text(encoding="utf-8"))
    return [line.strip() for line in text.splitlines() if line.startswith("\t") and "$(BIN)/authfit " in line]


MAKE_AUTHFIT = makefile_authfit_commands()


def test_make_demo_runs_the_promised_steps():
    """simulate, validate, train, score, shortlist: the issue's demo, in that order."""
    demo = Path("Makefile").read_text(encoding="utf-8").split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    steps = re.findall(r"\$\(BIN\)/authfit (\w+)", demo)
    assert steps == ["simulate", "validate", "train", "simulate", "score", "shortlist"], steps


@pytest.mark.parametrize("command", MAKE_AUTHFIT)
def test_makefile_authfit_commands_use_real_options(command):
    # make variables become a placeholder word; only the command and option names are checked
    words = shlex.split(re.sub(r"\$\$?\(+[^)]*\)+", "X", command.split("$(BIN)/authfit ", 1)[1]))
    check_options(f"Makefile: {command}", words)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith(".venv/bin/mlflow ")])
def test_mlflow_commands_are_real(command):
    words = shlex.split(command)
    options = [w for w in words if w.startswith("--")]
    result = subprocess.run([str(BIN / "mlflow"), words[1], "--help"], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0 and all(o in result.stdout for o in options), result.stderr


CURLS = [c for c in COMMANDS if c.startswith("curl ")]


def _openapi() -> tuple[str, dict]:
    from authfit.serve.api import ScorerHolder, create_app
    from authfit.serve.schemas import ServiceSettings

    service = create_app(ScorerHolder(lambda: None), ServiceSettings())
    return service.openapi_url, service.openapi()


@pytest.mark.parametrize("command", CURLS)
def test_curl_examples_match_the_openapi_document(command):
    words = shlex.split(command)
    url = next(w for w in words if w.startswith("http"))
    route = "/" + url.split("/", 3)[3]
    method = words[words.index("-X") + 1].lower() if "-X" in words else "get"
    openapi_url, spec = _openapi()
    if route == openapi_url:
        return
    assert route in spec["paths"] and method in spec["paths"][route], f"{method.upper()} {route} is not an endpoint"
    if "-d" in words:
        from pydantic import TypeAdapter

        from authfit.serve import schemas

        ref = spec["paths"][route][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        model = getattr(schemas, ref.rsplit("/", 1)[1])
        TypeAdapter(model).validate_python(json.loads(words[words.index("-d") + 1]))


def test_every_command_is_checked():
    checked = {*(c for c in COMMANDS if c.startswith("make ")), *AUTHFIT, *CURLS,
               *(c for c in COMMANDS if c.startswith(".venv/bin/mlflow "))}
    assert set(COMMANDS) <= checked, f"README commands nobody checks: {sorted(set(COMMANDS) - checked)}"


def test_cli_reference_is_up_to_date():
    from authfit_bench.cli_reference import END, START, render_reference

    text = Path("docs/cli.md").read_text(encoding="utf-8")
    current = text[text.index(START):text.index(END) + len(END)]
    assert current == render_reference(app), "docs/cli.md is stale: run `make cli-reference`"


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: p.as_posix())
def test_internal_links_point_at_headings(doc):
    text = doc.read_text(encoding="utf-8")
    anchors = {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in anchors, f"{doc} links to #{target}, which is no heading"
    for target in re.findall(r"\]\(((?!#|https?:)[^)#]+)(?:#[^)]*)?\)", text):
        assert (doc.parent / target).exists(), f"{doc} links to {target}, which does not exist"


def test_the_readme_is_a_manual_not_a_lab_notebook():
    """What a user needs, in about 250 lines; benchmark tables, experiments and speed history live in docs/."""
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300, "move experiments, history and benchmark tables to docs/"
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    for needed in ("Quick start", "What it does", "The data contract", "Use your own data", "Python API",
                   "HTTP API", "Scale"):
        assert any(h.startswith(needed) for h in headings), f"the README has no '{needed}' section"
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), "dated measurements belong in docs/, not the manual"
