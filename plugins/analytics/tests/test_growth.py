"""The growth fit N(t) = N0·e^(r·t) on a hand-computed series, and the series it refuses."""

import math

import pytest

from plugins.analytics.growth import fit


def test_an_exact_exponential_gives_back_its_rate_start_and_doubling_time():
    found = fit([10 * math.exp(0.1 * t) for t in range(20)])
    assert found.ok
    assert found.r == pytest.approx(0.1)
    assert found.n0 == pytest.approx(10)
    assert found.doubling_days == pytest.approx(math.log(2) / 0.1)
    assert found.r_low == pytest.approx(0.1) and found.r_high == pytest.approx(0.1)


def test_a_noisy_series_has_an_interval_around_r_and_a_band_that_holds_the_forecast():
    series = [100 * math.exp(0.05 * t) * (1.05 if t % 2 else 0.95) for t in range(30)]
    found = fit(series)
    assert found.r_low < 0.05 < found.r_high
    low, mid, high = found.predict(40)
    assert low < 100 * math.exp(0.05 * 40) < high
    assert low < mid < high


def test_hand_computed_three_points():
    # log N = 0, 1, 3 at t = 0, 1, 2: slope (Sxy/Sxx) = 3/2, intercept = 4/3 - 1.5 = -1/6
    found = fit([1, math.e, math.e ** 3])
    assert found.r == pytest.approx(1.5)
    assert found.n0 == pytest.approx(math.exp(-1 / 6))


@pytest.mark.parametrize(("series", "problem"), [
    ([], "short"), ([5, 6], "short"), ([0, 0, 0, 4, 0], "zeros"), ([7, 7, 7, 7], "flat"),
])
def test_series_that_cannot_be_fitted_say_why(series, problem):
    found = fit(series)
    assert not found.ok and found.problem == problem
    assert found.doubling_days is None


def test_days_without_members_are_left_out_and_counted():
    found = fit([0, 0, 2, 4, 8, 16])
    assert found.ok and found.zeros == 2 and found.points == 4
    assert found.r == pytest.approx(math.log(2))
