"""Helpers: write a small policy directory for one test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

GATE_HEAD = "package govern.gates.production\n\nimport rego.v1\n\n"


@pytest.fixture
def write_policies(tmp_path: Path) -> Callable[..., Path]:
    def write(files: dict[str, str], name: str = "policies") -> Path:
        root = tmp_path / name
        for rel, text in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        return root

    return write
