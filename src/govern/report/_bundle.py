"""The charting library, inlined into every report: Vega, Vega-Lite and vega-embed.

`vendor/vega-bundle.js` is the output of `vl_convert.javascript_bundle(vl_version=...)` from
vl-convert-python (pinned in the dev extra): one self-contained script that sets
`window.vegaEmbed`, `window.vega` and `window.vegaLite`. It is shipped as package data so
that writing a report needs no JavaScript runtime and no network, and so that it costs a
file read instead of the ~1.7 s vl-convert takes to bundle. Regenerate it with
`python -m govern.report._bundle` after changing the pinned vl-convert-python or VL_VERSION;
tests/report/test_bundle.py checks that the shipped file equals that output.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

VL_VERSION = "6.4"
BUNDLE = Path(__file__).resolve().parent / "vendor" / "vega-bundle.js"


@functools.cache
def bundle() -> str:
    """The script text (read once per process)."""
    return BUNDLE.read_text(encoding="utf-8")


def generate() -> str:
    """The bundle as vl-convert-python builds it (needs the dev extra)."""
    import vl_convert

    make: Any = vl_convert.javascript_bundle  # its stub wants a snippet; None is the default
    text: str = make(vl_version=VL_VERSION)
    return text


if __name__ == "__main__":
    BUNDLE.write_text(generate(), encoding="utf-8")
    print(f"wrote {BUNDLE} ({BUNDLE.stat().st_size} bytes)")
