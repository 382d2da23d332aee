"""The report and the web view in a real browser (Debian's chromium driven by Playwright).

Skipped, with the reason, when /usr/bin/chromium or playwright is missing (`.ci/run` installs
chromium; playwright is in the dev extra).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govern.cli import main
from govern.report._charts import fmt
from govern.report._serve import make_server
from govern.runner.demo import run_demo
from govern.store.views import open_read_only

from .conftest import Built

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium (apt-get install -y chromium; .ci/run does)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Opened:
    """A page with its console messages, page errors and requests recorded."""

    def __init__(self, browser: Any, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.evaluate("window.govern.renderAll()")
        self.page.wait_for_function(
            """() => Array.from(document.querySelectorAll('figure[data-spec]'))
                   .every(f => f.dataset.state === 'rendered' || f.dataset.state === 'error')""",
            timeout=60_000,
        )

    def close(self) -> None:
        self.page.close()

    def charts(self) -> list[dict[str, Any]]:
        """Per figure: state, caption, marks drawn, svg size, table rows."""
        result: list[dict[str, Any]] = self.page.evaluate(
            """() => Array.from(document.querySelectorAll('figure[data-spec]')).map(f => {
                 const svg = f.querySelector('.chart svg');
                 const marks = svg ? svg.querySelectorAll(
                     'g.role-mark path, g.role-mark line, g.role-mark rect').length : 0;
                 const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                 return {state: f.dataset.state, caption: f.querySelector('figcaption').textContent,
                         marks: marks, width: box.width, height: box.height,
                         labelled: svg ? svg.getAttribute('aria-labelledby') : null,
                         rows: f.querySelectorAll('details table tbody tr').length};
               })"""
        )
        return result

    def value(self, selector: str) -> float:
        return float(self.page.locator(selector).first.get_attribute("data-value"))

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).first.inner_text()).strip()


def _write_report(db: Path, out: Path, *models: str) -> Path:
    args = list(models) or ["--all"]
    assert main(["--db", str(db), "report", *args, "-o", str(out)]) == 0
    return out


def _check_clean(page: Opened, allowed_prefix: str) -> None:
    assert page.errors == []
    assert [m for m in page.console if m[0] in ("error", "warning")] == []
    assert page.requests and all(u.startswith(allowed_prefix) for u in page.requests), page.requests


def _check_charts(page: Opened) -> list[dict[str, Any]]:
    charts = page.charts()
    assert charts
    for c in charts:
        assert c["state"] == "rendered", c
        assert c["marks"] > 0 and c["width"] > 0 and c["height"] > 0, c
        assert c["caption"] and c["labelled"], c
        assert c["rows"] > 0, c  # the table alternative
    return charts


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    result = run_demo(root / "demo-out")
    return _write_report(result.db, root / "report.html")


def test_the_demo_report_opens_offline_without_errors(browser: Any, demo_report: Path) -> None:
    page = Opened(browser, demo_report.as_uri())
    try:
        _check_clean(page, demo_report.as_uri())
        assert page.requests == [demo_report.as_uri()]  # the file itself, nothing else
        _check_charts(page)
        for ref in ("credit-risk@3", "fraud-detect@7"):
            assert page.page.locator(f'section.model[data-ref="{ref}"]').count() == 1
    finally:
        page.close()


def test_every_section_and_chart_of_every_model(browser: Any, built: Built, tmp_path: Path) -> None:
    out = _write_report(built.db, tmp_path / "r.html")
    with open_read_only(built.db) as store:
        refs = [f"{n}@{v}" for n, v in store.query("SELECT name, version FROM model_versions")]
    page = Opened(browser, out.as_uri())
    try:
        _check_clean(page, out.as_uri())
        for ref in refs:
            section = page.page.locator(f'section.model[data-ref="{ref}"]')
            assert section.count() == 1
            for part in ("header", "drift", "fairness", "performance", "provenance"):
                assert section.locator(f"section.{part}").count() == 1, (ref, part)
            assert page.page.locator(f'#inventory a[href="#{section.get_attribute("id")}"]')
        charts = _check_charts(page)
        keys = page.page.evaluate(
            "() => Array.from(document.querySelectorAll('figure[data-chart]'))"
            ".map(f => f.closest('section.model').dataset.ref + ' ' + f.dataset.chart)"
        )
        for want in ("psi", "score", "drift-f0", "drift-channel", "fair-group", "baseline"):
            assert f"m@1 {want}" in keys
        for want in ("trend-perf", "trend-latency", "trend-errors", "trend-psi"):
            assert f"m@1 {want}" in keys
        assert len(charts) == len(keys)
        # the version without evidence says so instead of drawing
        quiet = page.page.locator('section.model[data-ref="quiet@1"]')
        assert quiet.locator("figure").count() == 0
        assert "no scan stored yet" in quiet.inner_text()
    finally:
        page.close()


def test_numbers_on_the_page_equal_the_database(browser: Any, built: Built, tmp_path: Path) -> None:
    out = _write_report(built.db, tmp_path / "r.html", "m@1")
    with open_read_only(built.db) as store:
        psi = dict(
            store.query(
                """SELECT subject, value FROM v_latest_evidence
                   WHERE name = 'm' AND metric = 'psi' AND status = 'ok'"""
            )
        )
        groups = dict(
            store.query(
                """SELECT subject, value FROM v_latest_evidence WHERE name = 'm'
                   AND family = 'fairness' AND metric = 'selection_rate' AND status = 'ok'"""
            )
        )
        perf = dict(
            store.query(
                """SELECT metric, value FROM v_latest_evidence WHERE name = 'm'
                   AND family IN ('performance', 'operational') AND subject NOT LIKE '%=%'
                   AND status = 'ok'"""
            )
        )
        (seq, head) = store.query("SELECT max(seq), arg_max(row_hash, seq) FROM audit_log")[0]
        (decision_id,) = store.query("SELECT decision_id FROM decisions WHERE name = 'm'")[0]
    page = Opened(browser, out.as_uri())
    try:
        sec = 'section.model[data-ref="m@1"]'
        for column, value in psi.items():
            row = f'{sec} table.drift-table tr:has(td[data-column="{column}"])'
            assert page.value(f"{row} td:nth-child(3)") == value
            assert page.text(f"{row} td:nth-child(3)") == fmt(value)
        for subject, value in groups.items():
            group = subject.split("=", 1)[1]
            row = f'{sec} table.fairness-table tr:has(td[data-group="{group}"])'
            assert page.value(f"{row} td:nth-child(3)") == value
        assert groups and perf
        for metric, value in perf.items():
            row = f'{sec} tr:has(td[data-metric="{metric}"])'
            assert page.value(f"{row} td:nth-child(2)") == value
        assert page.text('[data-field="audit-seq"]') == str(seq)
        assert page.text('[data-field="audit-hash"]') == head
        assert page.page.locator(f'[data-decision="{decision_id}"]').count() == 1
    finally:
        page.close()


@pytest.fixture
def server(built: Built, tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "govern.duckdb"
    shutil.copy(built.db, db)
    srv = make_server(db, "127.0.0.1", 0)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    t.join(5)


def test_served_pages_render_in_the_browser(browser: Any, server: str) -> None:
    page = Opened(browser, server + "/")
    try:
        _check_clean(page, server)
        links = page.page.eval_on_selector_all(
            "#inventory a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert sorted(links) == ["/models/m/1", "/models/quiet/1", "/models/thin/1"]
    finally:
        page.close()
    for link in links:
        p = Opened(browser, server + link)
        try:
            _check_clean(p, server)
            if link == "/models/m/1":
                _check_charts(p)
        finally:
            p.close()
