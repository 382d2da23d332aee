"""Working directories of sandbox children killed with their parent (kill -9) are removed later."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from govern.policy._sandbox import WORKDIR_PREFIX, remove_stale_workdirs

PARENT = """
import sys
from govern.policy._sandbox import SandboxEngine
engine = SandboxEngine((("p.rego", "package p\\n\\nx := 1\\n"),), {})
print(engine.child().workdir, flush=True)
sys.stdin.read()
"""


def test_workdir_left_by_killed_parent_is_removed(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    workdir = Path(proc.stdout.readline().strip())
    assert workdir.parent == tmp_path
    assert workdir.name.startswith(f"{WORKDIR_PREFIX}{proc.pid}-")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stdin.close()
    assert workdir.is_dir()  # the finaliser never ran
    live = tmp_path / f"{WORKDIR_PREFIX}{os.getpid()}-live"
    live.mkdir()
    legacy = tmp_path / f"{WORKDIR_PREFIX}abc123"  # older naming, recent: kept
    legacy.mkdir()
    assert remove_stale_workdirs(str(tmp_path)) == [str(workdir)]
    assert not workdir.exists()
    assert live.is_dir() and legacy.is_dir()


def test_new_engine_cleans_up_at_start(tmp_path: Path) -> None:
    """A fresh govern process removes dead-pid directories when it starts its first child."""
    dead = tmp_path / f"{WORKDIR_PREFIX}999999999-x"
    dead.mkdir()
    (dead / "f").write_text("x")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    code = (
        "from govern.policy._sandbox import SandboxEngine\n"
        'SandboxEngine((("p.rego", "package p\\n\\nx := 1\\n"),), {}).close()\n'
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert not dead.exists()
    assert not list(tmp_path.glob(f"{WORKDIR_PREFIX}*"))
