from __future__ import annotations

import pytest

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


MONITORED = """\
name: m
monitoring:
  features:
    - income
    - income_2
    - "debt ratio"
  categorical: [region, channel]
  protected:
    - sex
    - [sex, age_band]
  prediction: score
"""


@pytest.mark.parametrize(
    ("msg", "line", "field"),
    [
        ("feature income: PSI 0.412 >= 0.25 (significant shift)", 4, "monitoring.features.0"),
        ("feature income_2: PSI 0.3 >= 0.25", 5, "monitoring.features.1"),
        ("feature debt ratio: drift could not be measured (no rows)", 6, "monitoring.features.2"),
        (
            "feature channel: monitored but absent from the latest scan",
            7,
            "monitoring.categorical.1",
        ),
        ("attribute sex group F: impact ratio 0.7 below 0.8", 9, "monitoring.protected.0"),
        ("output score: PSI 0.2 in the moderate band", 11, "monitoring.prediction"),
    ],
)
def test_evidence_findings_point_at_the_monitoring_entry(msg: str, line: int, field: str) -> None:
    v = Violation("deny", "MON-CSI-01", msg, "high", "p", "run `govern scan`")
    assert locate_violations(MONITORED, [v]) == (Location(line, field),)


@pytest.mark.parametrize(
    "msg",
    [
        "feature unknown_col: PSI 0.5",
        "features income: x",
        "drift: no evidence",
        "feature incom: x",
    ],
)
def test_unmatched_subjects_fall_back_to_the_other_rules(msg: str) -> None:
    v = Violation("deny", "MON-CSI-01", msg, "high", "p", "set `monitoring.features`")
    assert locate_violations(MONITORED, [v]) == (Location(3, "monitoring.features"),)
