"""A bad sinks file is exit 2 naming the file and line, before anything is scanned."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from govern.alerts import load_sinks
from govern.cli import main

from .conftest import REF, Env

GOOD_HOOK = "sinks:\n  - name: h\n    type: webhook\n    url: http://127.0.0.1:9/x\n"

# (file text, line named, message fragment)
BAD = [
    ("sinks: [\n", 2, "invalid YAML"),
    ("- a\n- b\n", None, "expected a mapping with a `sinks:` list"),
    ("sinks:\n  - name: h\n    type: pager\n", 3, "unknown sink type 'pager'; valid types"),
    ("sinks:\n  - type: webhook\n    url: http://x\n", 2, "sinks[0].name: expected"),
    ("sinks:\n  - name: h\n    type: webhook\n", 2, "webhook sink needs `url`"),
    (GOOD_HOOK + "    timeout: -1\n", 5, "sinks[0].timeout: expected a positive number"),
    (GOOD_HOOK + "    retries: 3\n", 5, "sinks[0].retries: unknown key for a webhook sink"),
    (
        GOOD_HOOK + "    secret_env: TEST_GOVERN_UNSET_SECRET\n",
        5,
        "environment variable TEST_GOVERN_UNSET_SECRET is not set",
    ),
    ("sinks:\n  - name: h\n    type: webhook\n    url: ftp://x\n", 4, "expected an http://"),
    ("sinks:\n  - name: s\n    type: slack\n", 2, "slack sink needs `url` or `url_env`"),
    (
        "sinks:\n  - name: m\n    type: smtp\n    host: h\n    from: a@b\n    to: x@y\n",
        6,
        "sinks[0].to: expected a list",
    ),
    (
        "sinks:\n  - name: m\n    type: smtp\n    host: h\n    from: a@b\n    to: [x@y]\n"
        "    starttls: yes please\n",
        7,
        "starttls: expected true or false",
    ),
    (
        "sinks:\n  - name: m\n    type: smtp\n    host: h\n    from: a@b\n    to: [x@y]\n"
        "    starttls: true\n    ca_file: no-such-ca.pem\n",
        8,
        "sinks[0].ca_file: no file",
    ),
    (
        "sinks:\n  - name: m\n    type: smtp\n    host: h\n    from: a@b\n    to: [x@y]\n"
        "    ca_file: 7\n",
        7,
        "sinks[0].ca_file: expected the path of a PEM file",
    ),
    (
        "sinks:\n  - name: m\n    type: smtp\n    host: h\n    from: a@b\n    to: [x@y]\n"
        "    ca_file: govern-sinks.yaml\n",
        7,
        "sinks[0].ca_file: only used with `starttls: true`",
    ),
    (GOOD_HOOK + "  - name: h\n    type: jsonl\n    path: '-'\n", 5, "duplicate sink name 'h'"),
    ("sinks: []\nextra: 1\n", None, "unknown key 'extra'"),
]


@pytest.mark.parametrize(("text", "line", "fragment"), BAD)
def test_bad_sinks_file_is_exit_2_naming_file_and_line_and_nothing_is_scanned(
    env: Env,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    line: int | None,
    fragment: str,
) -> None:
    monkeypatch.delenv("TEST_GOVERN_UNSET_SECRET", raising=False)
    sinks = tmp_path / "govern-sinks.yaml"
    sinks.write_text(text, encoding="utf-8")
    rc = main(["--db", str(env.db), "monitor", REF, "--sinks", str(sinks)])
    err = capsys.readouterr().err
    assert rc == 2
    where = f"{sinks}:{line}: " if line else f"{sinks}: "
    assert err.startswith(f"error: {where}") and fragment in err, err
    assert "Traceback" not in err
    con = duckdb.connect(str(env.db), read_only=True)
    scans, decisions = con.execute(
        "SELECT (SELECT count(*) FROM scans), (SELECT count(*) FROM decisions)"
    ).fetchall()[0]
    con.close()
    assert (scans, decisions) == (0, 0)


def test_missing_sinks_file_is_exit_2(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["--db", str(env.db), "monitor", REF, "--sinks", str(tmp_path / "none.yaml")])
    assert rc == 2 and "sinks file not found" in capsys.readouterr().err


def test_secrets_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_GOVERN_SECRET", "zq-secret-77")
    path = tmp_path / "s.yaml"
    path.write_text(GOOD_HOOK + "    secret_env: TEST_GOVERN_SECRET\n", encoding="utf-8")
    (sink,) = load_sinks(path)
    assert sink.secrets == {"secret": "zq-secret-77"} and "zq-secret-77" not in repr(sink)


def test_monitor_needs_all_or_models(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(env.db), "monitor"]) == 2
    assert main(["--db", str(env.db), "monitor", "--all", REF]) == 2
    assert "pass --all or one or more NAME@VERSION" in capsys.readouterr().err
