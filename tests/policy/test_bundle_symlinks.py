"""Policy and data files reached through a symlink that leaves the policy directory are refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from govern.cli import main
from govern.errors import PolicyLoadError
from govern.policy._bundle import read_bundle

from ..conftest import CARDS
from .conftest import GATE_HEAD

GATE = GATE_HEAD + 'deny contains "x" if data.limits.max < 0\n'


@pytest.mark.parametrize("name", ["limits.json", "limits.yaml", "extra.rego", "sub/limits.yml"])
def test_symlink_leaving_the_directory_is_refused(
    write_policies: Callable[..., Path], tmp_path: Path, name: str
) -> None:
    root = write_policies({"gates/production.rego": GATE})
    outside = tmp_path / "outside" / Path(name).name
    outside.parent.mkdir()
    text = "package extra\n\nx := 1\n" if name.endswith(".rego") else '{"limits": {"max": -1}}'
    outside.write_text(text)
    link = root / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    with pytest.raises(PolicyLoadError, match="symlink leading outside the policy directory"):
        read_bundle(root)


def test_symlinked_directory_is_not_followed(
    write_policies: Callable[..., Path], tmp_path: Path
) -> None:
    root = write_policies({"gates/production.rego": GATE})
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "limits.json").write_text('{"limits": {"max": -1}}')
    (root / "shared").symlink_to(shared, target_is_directory=True)
    assert read_bundle(root).data == {}


def test_check_names_the_link(
    write_policies: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_policies({"gates/production.rego": GATE})
    outside = tmp_path / "limits.json"
    outside.write_text('{"limits": {"max": -1}}')
    (root / "limits.json").symlink_to(outside)
    card = str(CARDS / "credit-risk.yaml")
    rc = main(["check", card, "--stage", "production", "--policies", str(root)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{root / 'limits.json'}: a symlink leading outside the policy directory" in err


def test_symlink_inside_the_directory_is_fine(write_policies: Callable[..., Path]) -> None:
    root = write_policies(
        {"gates/production.rego": GATE, "real/limits.json": '{"limits": {"max": 1}}'}
    )
    (root / "limits-link.json").symlink_to(root / "real" / "limits.json")
    # read, not refused: each file's data sits at its directory's path, as OPA's loader does
    data = read_bundle(root).data
    assert data["limits"] == data["real"]["limits"] == {"max": 1}
