"""The vendored charting library is exactly what the pinned vl-convert-python bundles."""

from __future__ import annotations

import pytest

from govern.report._bundle import BUNDLE, bundle, generate


def test_the_shipped_bundle_equals_vl_convert_output() -> None:
    pytest.importorskip("vl_convert", reason="vl-convert-python (dev extra) not installed")
    assert bundle() == generate(), f"regenerate {BUNDLE} with `python -m govern.report._bundle`"


def test_the_bundle_sets_the_globals_the_page_uses() -> None:
    text = bundle()
    assert "window.vegaEmbed=" in text and "window.vega=" in text
    assert "import(" not in text  # no dynamic import that could fetch at run time
