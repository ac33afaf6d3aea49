"""The shape of the code, checked: the layers and the two independent domains (import-linter), a small lint
(ruff), no module reaching into another's private names, and modules short enough to read at a glance."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("actions", "bot", "i18n", "ledger", "ops")
BIN = Path(sys.executable).parent
MAX_LINES = 420  # "about 400"; rules data and migrations aside


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (REPO / package).rglob("*.py") if "migrations" not in p.parts)


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path: Path) -> list[str]:
    """`from x import _y` and `x._y` where x is another module of this project (its own names are fine)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _module_name(path)
    project = PACKAGES + ("tests", "nlu")
    found, module_aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in project:
            if node.module == own:
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} imports {node.module}.{alias.name}")
                elif (REPO / node.module.replace(".", "/") / f"{alias.name}.py").exists():
                    module_aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in project and alias.name != own:
                    module_aliases[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in module_aliases
                and _private(node.attr)):
            found.append(f"{path.relative_to(REPO)}:{node.lineno} uses {module_aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    found = [use for path in _modules(*PACKAGES, "tests", "bench") for use in private_uses(path)]
    assert found == []


def test_the_private_name_check_finds_them(tmp_path):
    sample = REPO / "ledger" / "shared" / "_layout_sample.py"
    sample.write_text("from ledger.points.reserved import _reserved_lots\nfrom ledger.points import exchanges\n"
                      "exchanges._begin\n", encoding="utf-8")
    try:
        assert [use.split(" ", 1)[1] for use in private_uses(sample)] == [
            "imports ledger.points.reserved._reserved_lots", "uses ledger.points.exchanges._begin"]
    finally:
        sample.unlink()


def test_the_layers_and_the_independent_domains_hold():
    """import-linter contracts in pyproject.toml: ops → bot → actions → i18n → ledger.bootstrap → ledger.rules →
    points | status | common → storage → shared; points and status never import each other."""
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_ruff_finds_nothing():
    result = subprocess.run([str(BIN / "ruff"), "check", "--output-format", "concise", "."], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", _modules(*PACKAGES), ids=lambda p: str(p.relative_to(REPO)))
def test_every_module_reads_at_a_glance(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
