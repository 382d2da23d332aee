"""Reports: one view model per model version, rendered as HTML, terminal tables or JSON.

with open_read_only(db) as store:
    view = build_report(store, resolve_refs(store, ["credit-risk@3"]))
Path("report.html").write_text(render_html(view))
"""

from govern.report._build import audit_status, build_report, load_catalogue, resolve_refs
from govern.report._html import render_html
from govern.report._view import (
    AuditStatus,
    InventoryRow,
    ModelView,
    ReportView,
)

__all__ = [
    "AuditStatus",
    "InventoryRow",
    "ModelView",
    "ReportView",
    "audit_status",
    "build_report",
    "load_catalogue",
    "render_html",
    "resolve_refs",
]
