"""The CI examples run as written, install line included, in a scratch model repository.

The scratch repository is a copy of examples/model-repo/ with `git init`, and the govern
wheel the examples install is built from this checkout into its tools/ folder. Each
example gets a new virtual environment; its install line runs there exactly as written,
offline (PIP_NO_INDEX): govern's dependencies are made visible through a .pth file naming
a copy of this environment's site-packages without govern itself, so what runs is the
wheel, not the source tree. Then every `govern` line runs as written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from ..conftest import REPO

EXAMPLES = REPO / "examples"
MODEL_REPO = EXAMPLES / "model-repo"
BARE_INSTALL = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?govern(?:[=<>~!\s'\"]|$)", re.MULTILINE)


def _workflow_lines(blocks: list[str]) -> list[str]:
    return [line for block in blocks for line in block.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The govern wheel, built once from the files git tracks in this checkout."""
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        pytest.skip("building the example's wheel needs git and a git checkout")
    files = subprocess.run(
        [git, "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True
    ).stdout.split(b"\0")
    src = tmp_path_factory.mktemp("govern-src")
    for name in filter(None, files):
        rel = os.fsdecode(name)
        source, target = REPO / rel, src / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree, not yet committed
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("govern_mrm-*.whl")
    return built


@pytest.fixture(scope="session")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This environment's site-packages as symlinks, without govern's own distribution."""
    farm = tmp_path_factory.mktemp("deps")
    for key in ("purelib", "platlib"):
        for entry in Path(sysconfig.get_paths()[key]).iterdir():
            name = entry.name.lower()
            if name.startswith(("govern", "__editable__")) or name.endswith(".pth"):
                continue
            if not (farm / entry.name).exists():
                (farm / entry.name).symlink_to(entry)
    return farm


def _scratch(tmp_path: Path, wheel: Path, dependencies: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    shutil.copytree(MODEL_REPO, repo)
    shutil.copy(wheel, repo / "tools")
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "_example_dependencies.pth").write_text(f"{dependencies}\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOVERN_", "PIP_", "PYTHON", "GITHUB_", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONNOUSERSITE="1",
        CI="true",
    )
    return repo, env


def _sh(line: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", line], cwd=repo, env=env, capture_output=True, text=True
    )


def _installed_from_wheel(repo: Path, env: dict[str, str]) -> None:
    probe = _sh("command -v govern; python -c 'import govern; print(govern.__file__)'", repo, env)
    assert probe.returncode == 0, probe.stderr
    command, module = probe.stdout.split()
    venv = Path(env["VIRTUAL_ENV"])
    assert Path(command).parent == venv / "bin"
    assert Path(module).is_relative_to(venv) and "site-packages" in module


def test_github_actions_workflow(tmp_path: Path, wheel: Path, dependencies: Path) -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["compliance"]["steps"]
    lines = _workflow_lines([s["run"] for s in steps if "run" in s])
    assert lines[0].startswith("pip install ") and len(lines) == 3
    repo, env = _scratch(tmp_path, wheel, dependencies)
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "step-summary.md")
    results = [_sh(line, repo, env) for line in lines]
    for line, r in zip(lines, results, strict=True):
        assert r.returncode == 0, f"{line}\n{r.stdout}\n{r.stderr}"
    _installed_from_wheel(repo, env)

    assert "::notice title=govern::credit-risk@3 → deployment: allowed" in results[1].stdout
    sarif_file = next(s["with"]["sarif_file"] for s in steps if "upload-sarif" in s.get("uses", ""))
    sarif = json.loads((repo / sarif_file).read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True
    junit = ET.parse(repo / "govern-junit.xml").getroot()
    assert junit.get("failures") == "0" and int(junit.get("tests") or 0) > 1
    assert "## govern check: ✅ allowed" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert (repo / "govern-comment.md").read_text().startswith("## govern check:")

    # the same gate line fails a card that lost its validation report
    card = repo / "models" / "credit-risk.yaml"
    text = card.read_text()
    assert text.count("  report_uri: ") == 1
    card.write_text(text.replace("  report_uri: ", "  old_report_uri: "))
    line = text.splitlines().index("validation:") + 1
    env.pop("GITHUB_STEP_SUMMARY")
    gate = _sh(lines[1], repo, env)
    assert gate.returncode == 1, gate.stderr
    assert (
        f"::error file=models/credit-risk.yaml,line={line},title=MRM-VAL-01 (critical)::"
        "credit-risk@3 → deployment: validation report: missing (validation.report_uri)"
    ) in gate.stdout
    assert gate.stdout.rstrip().endswith("1 model checked: 0 allowed, 1 denied (1 deny, 0 warn)")
    result = json.loads((repo / sarif_file).read_text())["runs"][0]["results"][0]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "models/credit-risk.yaml",
        "uriBaseId": "%SRCROOT%",
    }


def test_gitlab_job(tmp_path: Path, wheel: Path, dependencies: Path) -> None:
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))["govern-check"]
    lines = _workflow_lines(job["before_script"] + job["script"])
    assert lines[0].startswith("pip install ") and len(lines) == 2
    repo, env = _scratch(tmp_path, wheel, dependencies)
    results = [_sh(line, repo, env) for line in lines]
    for line, r in zip(lines, results, strict=True):
        assert r.returncode == 0, f"{line}\n{r.stdout}\n{r.stderr}"
    _installed_from_wheel(repo, env)
    assert (
        results[1].stdout.rstrip().endswith("1 model checked: 1 allowed, 0 denied (0 deny, 0 warn)")
    )
    junit = ET.parse(repo / job["artifacts"]["reports"]["junit"]).getroot()
    assert junit.get("failures") == "0" and int(junit.get("tests") or 0) > 1
    for path in job["artifacts"]["paths"]:
        assert json.loads((repo / path).read_text())["result"] == "allow"


@pytest.mark.parametrize(
    "path",
    sorted(
        [*EXAMPLES.rglob("*.yml"), *EXAMPLES.rglob("*.md"), REPO / "README.md"]
        + sorted((REPO / "docs").glob("*.md")),
        key=str,
    ),
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_nothing_installs_govern_by_its_bare_name(path: Path) -> None:
    assert not BARE_INSTALL.search(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text",
    ["pip install govern", "pip install govern==0.1.0", "pip install -q 'govern>=0.1'"],
)
def test_the_bare_name_check_catches_the_forms(text: str) -> None:
    assert BARE_INSTALL.search(text)


def test_the_examples_install_the_distribution_this_repository_builds() -> None:
    project = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^name = "govern-mrm"$', project, re.MULTILINE)
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        assert "pip install tools/govern_mrm-0.1.0-*.whl" in (EXAMPLES / name).read_text()
