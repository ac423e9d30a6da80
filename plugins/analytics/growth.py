"""The growth model N(t) = N0 · e^(r·t), fitted by least squares on log N(t).

Plain Python (a series is at most a few thousand points). Days with N = 0 cannot be logged:
they are left out and counted, and a series with fewer than three usable points, or with no
change at all, is not fitted (the result says why instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042)


def t95(freedom: int) -> float:
    """The two-sided 95 % quantile of Student's t with ``freedom`` degrees of freedom."""
    return _T95[freedom - 1] if 1 <= freedom <= len(_T95) else 1.96


@dataclass(frozen=True)
class Fit:
    """A fitted N(t) = N0·e^(r·t): ``r`` per day with its 95 % interval, or ``problem`` set."""

    points: int = 0
    zeros: int = 0
    n0: float = 0.0
    r: float = 0.0
    r_low: float = 0.0
    r_high: float = 0.0
    problem: str = ""  # "short", "zeros" or "flat": why there is no fit
    _state: tuple = field(default=(), repr=False)  # (mean t, Sxx, residual variance, points)

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def doubling_days(self) -> float | None:
        """ln 2 / r, for a growing series."""
        return math.log(2) / self.r if self.ok and self.r > 0 else None

    def predict(self, t: float) -> tuple[float, float, float]:
        """N(t) and its 95 % prediction band (low, expected, high) at ``t`` days from the start."""
        mean_t, sxx, variance, n = self._state
        log_n = math.log(self.n0) + self.r * t
        spread = t95(n - 2) * math.sqrt(variance * (1 + 1 / n + (t - mean_t) ** 2 / sxx))
        return math.exp(log_n - spread), math.exp(log_n), math.exp(log_n + spread)


def fit(series: list[float]) -> Fit:
    """Fit N(t) = N0·e^(r·t) to ``series`` (one value a day from t = 0)."""
    points = [(t, math.log(n)) for t, n in enumerate(series) if n > 0]
    zeros = len(series) - len(points)
    if len(points) < 3:
        return Fit(len(points), zeros, problem="zeros" if zeros else "short")
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    sxy = sum((t - mean_t) * (y - mean_y) for t, y in points)
    r = sxy / sxx
    intercept = mean_y - r * mean_t
    residuals = sum((y - intercept - r * t) ** 2 for t, y in points)
    if all(y == points[0][1] for _, y in points):
        return Fit(n, zeros, problem="flat")
    variance = residuals / (n - 2)
    margin = t95(n - 2) * math.sqrt(variance / sxx)
    return Fit(n, zeros, math.exp(intercept), r, r - margin, r + margin, "", (mean_t, sxx, variance, n))
