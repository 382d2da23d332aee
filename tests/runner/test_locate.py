from __future__ import annotations

from govern.output import Location
from govern.results import Violation
from govern.runner._locate import locate_field, locate_violations

CARD = """\
# comment
name: churn
owner: a@b.c
monitoring:
  prediction: score
  features:
    - tenure
    - spend
lineage: {}
"""


def _v(msg: str, evidence: object = None, remediation: str | None = None) -> Violation:
    return Violation("deny", "C-1", msg, "high", "p", remediation, evidence)


def test_paths_resolve_to_key_lines() -> None:
    import yaml

    root = yaml.compose(CARD)
    assert locate_field(root, "owner") == (3, "owner")
    assert locate_field(root, "monitoring.features") == (6, "monitoring.features")
    assert locate_field(root, "monitoring.features.1") == (8, "monitoring.features.1")
    assert locate_field(root, "lineage.training_data") == (9, "lineage")
    assert locate_field(root, "nothing.here") is None


def test_order_of_conventions() -> None:
    found = locate_violations(
        CARD,
        [
            _v("see `owner`", {"field": "monitoring.features"}),  # evidence.field first
            _v("see `owner` and `name`"),  # first backticked name that exists
            _v("no field", remediation="set `monitoring.prediction`"),
            _v("run `govern scan`"),  # not a field path: line 1
            _v("`absent.path`"),
        ],
    )
    assert found == (
        Location(6, "monitoring.features"),
        Location(3, "owner"),
        Location(5, "monitoring.prediction"),
        Location(1, None),
        Location(1, None),
    )


def test_no_card_text_means_line_one() -> None:
    assert locate_violations(None, [_v("`owner`")]) == (Location(),)
