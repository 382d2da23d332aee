"""`govern report`, `show`, `sql` and `serve` on the command line: output, bad input, exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from govern.cli import main
from govern.report._bundle import bundle
from govern.report._html import NO_FAIRNESS, NO_MODELS
from govern.report._view import NO_DECISION, NO_EVIDENCE
from govern.store.views import NOT_GOVERN, ONE_STATEMENT, WRITE_REFUSED

from .conftest import Built


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_all_writes_one_offline_page(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    code, _, err = run(capsys, "--db", str(built.db), "report", "--all", "-o", str(out))
    assert code == 0, err
    html = out.read_text()
    for anchor in ("m-m-1", "m-quiet-1", "m-thin-1"):
        assert f'id="{anchor}"' in html
    assert NO_EVIDENCE in html  # quiet@1
    assert NO_DECISION in html
    # Outside the inlined library, nothing refers to a network resource (the browser test
    # checks that the library itself requests nothing).
    assert html.count(bundle()) == 1
    page = html.replace(bundle(), "")
    for needle in ('src="http', "src='http", 'href="http', "@import", "url(", "<link"):
        assert needle not in page


def test_report_of_named_versions_links_only_those(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    code, _, _ = run(capsys, "--db", str(built.db), "report", "m", "-o", str(out))
    assert code == 0
    html = out.read_text()
    assert 'href="#m-m-1"' in html and 'id="m-quiet-1"' not in html
    assert "quiet@1" in html  # still listed in the inventory


def test_show_prints_the_same_facts(built: Built, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(built.db), "show", "m@1")
    assert code == 0
    for text in ("Drift", "Fairness: group", "withheld", "latency_p99", "audit chain intact"):
        assert text in out
    code, out, _ = run(capsys, "--db", str(built.db), "show", "quiet@1")
    assert code == 0 and NO_EVIDENCE in out.replace("\n", " ")


def test_show_json_is_the_view(built: Built, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(built.db), "show", "m@1", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ref"] == "m@1" and doc["audit"]["ok"] is True
    assert len(doc["fairness"][0]["groups"]) == 4


@pytest.mark.parametrize(
    "args",
    [
        ("show", "nope@1"),
        ("show", "m@9"),
        ("report", "nope", "-o", "{tmp}/r.html"),
        ("report", "-o", "{tmp}/r.html"),
        ("report", "m", "--all", "-o", "{tmp}/r.html"),
        ("report", "m", "-o", "{tmp}/missing-dir/r.html"),
        ("show", "@1"),
    ],
)
def test_bad_references_and_flags_exit_2(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    argv = [a.format(tmp=tmp_path) for a in args]
    code, _, err = run(capsys, "--db", str(built.db), *argv)
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err


def test_an_empty_database_reports_no_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "g.duckdb"
    assert run(capsys, "--db", str(db), "init")[0] == 0
    out = tmp_path / "r.html"
    code, _, err = run(capsys, "--db", str(db), "report", "--all", "-o", str(out))
    assert code == 0, err
    assert NO_MODELS in out.read_text()
    code, _, err = run(capsys, "--db", str(db), "show", "m")
    assert code == 2 and "the registry is empty" in err


def test_the_insufficient_data_model_renders_its_reason(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    assert run(capsys, "--db", str(built.db), "report", "thin@1", "-o", str(out))[0] == 0
    html = out.read_text()
    assert "insufficient_data: " in html and "fewer than the minimum of 500" in html
    assert NO_FAIRNESS not in html  # the thin scan did measure fairness (all withheld)


def _foreign_duckdb(p: Path) -> None:
    with duckdb.connect(str(p)) as c:
        c.execute("CREATE TABLE sales (id INTEGER)")


def _empty_duckdb(p: Path) -> None:
    duckdb.connect(str(p)).close()


def _sqlite(p: Path) -> None:
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE t (x)")


def _text(p: Path) -> None:
    p.write_text("hello\n")


def _directory(p: Path) -> None:
    p.mkdir()


BAD_DATABASES: dict[str, Callable[[Path], None]] = {
    "foreign duckdb": _foreign_duckdb,
    "empty duckdb": _empty_duckdb,
    "sqlite": _sqlite,
    "text": _text,
    "directory": _directory,
}
COMMANDS = [
    ("report", "--all", "-o", "{tmp}/r.html"),
    ("show", "m"),
    ("sql", "SELECT 1"),
    ("serve", "--port", "0"),
]


@pytest.mark.parametrize("kind", sorted(BAD_DATABASES))
@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_database_that_is_not_govern_exits_2_and_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, command: tuple[str, ...]
) -> None:
    db = tmp_path / "x.db"
    BAD_DATABASES[kind](db)
    before = db.read_bytes() if db.is_file() else None
    argv = [a.format(tmp=tmp_path) for a in command]
    code, _, err = run(capsys, "--db", str(db), *argv)
    assert code == 2, err
    assert str(db) in err and "Traceback" not in err
    if kind in ("foreign duckdb", "empty duckdb"):
        assert NOT_GOVERN in err
    if before is not None:
        assert db.read_bytes() == before  # nothing was written, not even a schema


def test_a_missing_database_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path / "none.duckdb"), "sql", "SELECT 1")
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "none.duckdb").exists()


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_sql_formats(built: Built, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    q = "SELECT name, version, stage FROM model_versions ORDER BY name"
    code, out, err = run(capsys, "--db", str(built.db), "sql", q, "--format", fmt)
    assert code == 0, err
    with duckdb.connect(str(built.db), read_only=True) as c:
        expected = [tuple(map(str, r)) for r in c.execute(q).fetchall()]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0] == ["name", "version", "stage"]
        assert [tuple(r) for r in rows[1:]] == expected
    elif fmt == "json":
        docs = json.loads(out)
        assert [(d["name"], d["version"], d["stage"]) for d in docs] == expected
    else:
        assert all(name in out for name, _, _ in expected)
        assert f"{len(expected)} row(s)" in out


def test_sql_json_renders_timestamps_and_json_columns(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    q = "SELECT decided_at, violations FROM decisions LIMIT 1"
    code, out, _ = run(capsys, "--db", str(built.db), "sql", q, "--format", "json")
    assert code == 0
    (doc,) = json.loads(out)
    assert doc["decided_at"].startswith("20")


WRITES = [
    ("INSERT INTO models (name, created_at, updated_at) VALUES ('x', now(), now())", "INSERT"),
    ("UPDATE model_versions SET stage = 'production'", "UPDATE"),
    ("DELETE FROM audit_log", "DELETE"),
    ("DROP TABLE decisions", "DROP"),
    ("CREATE TABLE t (x INTEGER)", "CREATE"),
    ("ALTER TABLE models ADD COLUMN x INTEGER", "ALTER"),
    ("COPY models TO '{tmp}/out.csv'", "COPY"),
    ("ATTACH '{tmp}/other.duckdb' AS o", "ATTACH"),
    ("SET threads = 1", "SET"),
    ("CHECKPOINT", "CALL"),
    ("INSTALL httpfs", "LOAD"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("CALL pragma_version()", "CALL"),
]


@pytest.mark.parametrize(("sql", "kind"), WRITES, ids=[k for _, k in WRITES])
def test_sql_refuses_anything_but_a_read(
    built: Built,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sql: str,
    kind: str,
) -> None:
    db = tmp_path / "g.duckdb"
    shutil.copy(built.db, db)
    before = db.read_bytes()
    code, _, err = run(capsys, "--db", str(db), "sql", sql.format(tmp=tmp_path))
    assert code == 2
    assert err.strip() == "error: " + WRITE_REFUSED.format(word=kind)
    assert db.read_bytes() == before
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


@pytest.mark.parametrize(
    "sql", ["SELECT 1; DROP TABLE models", "SELECT 1; SELECT 2", "/* only a comment */"]
)
def test_sql_runs_exactly_one_statement(
    built: Built, capsys: pytest.CaptureFixture[str], sql: str
) -> None:
    code, _, err = run(capsys, "--db", str(built.db), "sql", sql)
    assert code == 2
    n = sql.count(";") + 1 if not sql.startswith("/*") else 0
    assert err.strip() == "error: " + ONE_STATEMENT.format(n=n)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/hostname')",
        "SELECT * FROM read_parquet('{tmp}/x.parquet')",
        "SELECT * FROM 'https://example.invalid/x.csv'",
    ],
)
def test_sql_cannot_reach_files_or_the_network(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str
) -> None:
    code, _, err = run(capsys, "--db", str(built.db), "sql", sql.format(tmp=tmp_path))
    assert code == 2 and err.startswith("error: query failed: ")


def test_sql_syntax_error_is_a_usage_error(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", str(built.db), "sql", "SELEC 1")
    assert code == 2 and "syntax error" in err


def test_the_demo_writes_its_report_and_points_to_govern_sql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "demo", "--dir", str(tmp_path / "demo"))
    assert code == 0
    report = tmp_path / "demo" / "report.html"
    assert 'data-ref="fraud-detect@7"' in report.read_text()
    assert "duckdb -readonly" not in out
    (line,) = [x for x in out.splitlines() if " sql " in x]
    argv = line.split(" sql ", 1)[1].strip().strip('"')
    db = tmp_path / "demo" / "govern.duckdb"
    code, rows, err = run(capsys, "--db", str(db), "sql", argv, "--format", "json")
    assert code == 0, err
    assert [r["result"] for r in json.loads(rows)] == ["allow", "deny"]


def test_names_from_cards_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hostile owner or feature name is text on the page, never markup or script."""
    db = tmp_path / "g.duckdb"
    card = tmp_path / "c.yaml"
    evil = "</script><script>alert(1)</script><!--"
    card.write_text(f'name: x\nversion: "1"\nowner: "{evil}"\nrisk_tier: 3\nuse_case: "<b>u</b>"\n')
    assert run(capsys, "--db", str(db), "init")[0] == 0
    assert run(capsys, "--db", str(db), "register", str(card))[0] == 0
    out = tmp_path / "r.html"
    assert run(capsys, "--db", str(db), "report", "--all", "-o", str(out))[0] == 0
    page = out.read_text().replace(bundle(), "")
    assert evil not in page and "<b>u</b>" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page
