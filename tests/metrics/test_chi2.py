"""The chi-square homogeneity test against scipy (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from govern.metrics._chi2 import chi2_homogeneity, chi2_sf


@pytest.mark.parametrize("df", [1, 2, 3, 9, 10, 50, 200])
@pytest.mark.parametrize("x", [0.0, 1e-8, 0.5, 1.0, 3.0, 9.5, 20.0, 80.0, 400.0, 5000.0])
def test_sf_matches_scipy(df: int, x: float) -> None:
    assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-9, abs=1e-300)


def test_homogeneity_matches_scipy_contingency() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        k = int(rng.integers(2, 15))
        e = rng.integers(0, 500, k)
        a = rng.integers(0, 500, k)
        e[0] += 1
        a[0] += 1
        keep = (e + a) > 0
        stat, df = chi2_homogeneity(e, a)
        ref = stats.chi2_contingency(np.vstack([e[keep], a[keep]]), correction=False)
        assert stat == pytest.approx(ref.statistic, rel=1e-10)
        assert df == ref.dof
        assert chi2_sf(stat, df) == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)


def test_one_bin_has_no_degrees_of_freedom() -> None:
    assert chi2_homogeneity(np.asarray([5, 0]), np.asarray([7, 0]))[1] == 0
