"""Reading the data files (rules, messages): YAML through libyaml's C parser when PyYAML has it (ten times faster
than the pure-Python one, which every CLI run and every process start would pay), else the pure-Python one."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The data in a UTF-8 YAML file, with only plain types (safe loading)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
