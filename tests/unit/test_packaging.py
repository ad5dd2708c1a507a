"""The package promises of the foundation issue: the repository's top level, dependency ranges and the lock."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

# What the project promises at the top level, plus what the issue allows beside it (the Makefile, .ci/, the
# lock file the Makefile installs from, docs/ for generated and longer write-ups) and git's own ignore file.
PROMISED = {"src", "notebooks", "models", "data", "tests", "configs", "pyproject.toml", "README.md"}
ALLOWED_BESIDE = {"Makefile", ".ci", "requirements.lock", ".gitignore", ".gitattributes", "docs"}
REQUIRED_DEPENDENCIES = {"scikit-learn", "pandas", "numpy", "joblib", "mlflow", "lightgbm", "pyarrow"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0])


def _pyproject() -> dict:
    return tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))


def _declared() -> list[str]:
    project = _pyproject()["project"]
    extras = project["optional-dependencies"].values()
    return [*project["dependencies"], *(r for extra in extras for r in extra)]


def _locked() -> dict[str, str]:
    pins = {}
    for line in Path("requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            pins[_normalise(name)] = version.strip()
    return pins


def test_top_level_is_what_the_project_promises():
    try:
        tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    top = {path.split("/", 1)[0] for path in tracked.splitlines()}
    assert PROMISED <= top, f"missing at the top level: {sorted(PROMISED - top)}"
    unexpected = sorted(top - PROMISED - ALLOWED_BESIDE)
    assert not unexpected, f"unexpected at the top level: {unexpected}"


def test_console_script_and_src_layout():
    project = _pyproject()
    assert project["project"]["name"] == "authfit"
    assert project["project"]["scripts"]["authfit"] == "authfit.cli:main"
    assert project["tool"]["setuptools"]["packages"]["find"]["where"] == ["src"]
    assert Path("src/authfit/__init__.py").is_file()


def test_every_dependency_has_a_compatible_range_and_a_pin_in_the_lock():
    declared = _declared()
    names = {_requirement_name(r) for r in declared}
    assert REQUIRED_DEPENDENCIES <= names, f"missing dependencies: {sorted(REQUIRED_DEPENDENCIES - names)}"
    unbounded = [r for r in declared if not ("<" in r and ">=" in r)]
    assert not unbounded, f"give these a lower and an upper bound: {unbounded}"
    locked = _locked()
    unpinned = sorted(n for n in names if n not in locked)
    assert not unpinned, f"pin these in requirements.lock (make lock): {unpinned}"


def test_lock_pins_fall_inside_the_declared_ranges():
    from packaging.requirements import Requirement

    locked = _locked()
    pinned = {r: locked[_requirement_name(r)] for r in _declared() if _requirement_name(r) in locked}
    outside = [f"{r} (locked {version})" for r, version in pinned.items() if version not in Requirement(r).specifier]
    assert not outside, f"the lock contradicts pyproject.toml: {outside}"


def test_makefile_installs_with_the_lock_as_constraints():
    makefile = Path("Makefile").read_text(encoding="utf-8")
    assert re.search(r"pip install .*-c requirements\.lock", makefile)
    assert "make test" in Path(".ci/run").read_text(encoding="utf-8")


def test_the_product_never_imports_its_measuring_instruments():
    """authfit runs without authfit_bench (benchmarks, load test) and without the tests' support code."""
    imports = re.compile(r"^\s*(?:from|import)\s+(authfit_bench|strategies|doc_commands|hypothesis)\b", re.M)
    offenders = [f"{path}: {match.group(1)}" for path in sorted(Path("src/authfit").rglob("*.py"))
                 for match in imports.finditer(path.read_text(encoding="utf-8"))]
    assert not offenders, offenders
