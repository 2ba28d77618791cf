"""The statistics of an event study: tests across events, the placebo test, bootstrap bands, the MDE.

Pure functions over NumPy arrays of moves, one row per event;
:func:`jpmacro_bt.research.eventstudy.event_study` computes the moves and
calls these. Conventions (units, horizons, the placebo draw) are those of
:mod:`jpmacro_bt.research.eventstudy`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from jpmacro_bt.errors import JpMacroError

__all__ = ["bootstrap_bands", "effect_verdict", "horizon_tests", "minimum_detectable_effect", "placebo_tests"]

_BOOT_CHUNK = 4_000_000  # floats per bootstrap chunk, so memory stays bounded


def minimum_detectable_effect(n: int, sd: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true mean a two-sided one-sample t-test of size ``alpha`` detects with probability ``power``.

    Solves ``P(|T| > t_crit) = power`` for the noncentrality ``d * sqrt(n)`` of a
    noncentral t with ``n - 1`` degrees of freedom; returns ``d * sd`` in the
    unit of ``sd``.

    Raises
    ------
    JpMacroError
        ``n < 2``, a negative ``sd``, or not ``0 < alpha < power < 1``.
    """
    if n < 2 or not sd >= 0 or not 0 < alpha < power < 1:
        raise JpMacroError(f"minimum_detectable_effect needs n >= 2, sd >= 0 and 0 < alpha < power < 1; got n={n}, sd={sd}, alpha={alpha}, power={power}")
    df, root_n = n - 1, math.sqrt(n)
    crit = stats.t.ppf(1 - alpha / 2, df)

    def shortfall(d: float) -> float:
        # P(T < -crit | nc) as P(T > crit | -nc): scipy's lower tail turns NaN for large nc.
        return float(stats.nct.sf(crit, df, d * root_n) + stats.nct.sf(crit, df, -d * root_n) - power)

    upper = (crit + stats.norm.ppf(power)) / root_n
    while shortfall(upper) < 0:  # the normal approximation undershoots for small n
        upper *= 2
    return float(optimize.brentq(shortfall, 0.0, upper, xtol=1e-12)) * sd


def placebo_tests(null: np.ndarray, observed, n_events: int, n_placebo: int, level: float, rng) -> list[dict] | None:
    """Per horizon: placebo center, central range and two-sided p-value of the observed mean."""
    if n_placebo == 0 or n_events == 0 or len(null) == 0:
        return None
    draws = rng.integers(0, len(null), size=(n_placebo, n_events))
    out = []
    for j in range(null.shape[1]):
        means = null[:, j][draws].mean(axis=1)
        center = float(null[:, j].mean())
        dev = abs(float(observed[j]) - center)
        extreme = np.count_nonzero(np.abs(means - center) >= dev - 1e-12 * max(1.0, dev))
        lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
        out.append({"placebo_center": center, "placebo_lo": float(lo), "placebo_hi": float(hi), "placebo_pvalue": (1 + extreme) / (n_placebo + 1)})
    return out




def horizon_tests(h: int, x: np.ndarray, level: float, power: float, placebo: dict | None) -> dict[str, Any]:
    """The tests of one horizon's moves across events."""
    nan = math.nan
    n, n_up, n_down = len(x), int((x > 0).sum()), int((x < 0).sum())
    row: dict[str, Any] = {
        "horizon": h, "n": n, "mean": float(x.mean()) if n else nan, "median": float(np.median(x)) if n else nan,
        "std": nan, "ci_lo": nan, "ci_hi": nan, "t_stat": nan, "t_pvalue": nan, "n_up": n_up, "n_down": n_down,
        "sign_pvalue": float(stats.binomtest(n_up, n_up + n_down, 0.5).pvalue) if n_up + n_down else nan,
        "wilcoxon_stat": nan, "wilcoxon_pvalue": nan, "placebo_center": nan, "placebo_lo": nan, "placebo_hi": nan,
        "placebo_pvalue": nan, "mde": nan,
    }  # fmt: skip
    if placebo:
        row.update(placebo)
    if n >= 2 and np.ptp(x) > 0:
        tt = stats.ttest_1samp(x, 0.0)
        ci = tt.confidence_interval(level)
        row.update(std=float(x.std(ddof=1)), ci_lo=float(ci.low), ci_hi=float(ci.high), t_stat=float(tt.statistic), t_pvalue=float(tt.pvalue))
        row["mde"] = minimum_detectable_effect(n, row["std"], alpha=1 - level, power=power)
    if n_up + n_down >= 2:
        w = stats.wilcoxon(x[x != 0])
        row.update(wilcoxon_stat=float(w.statistic), wilcoxon_pvalue=float(w.pvalue))
    row["verdict"] = effect_verdict(row, 1 - level)
    return row


def effect_verdict(row: dict[str, Any], alpha: float) -> str:
    """Tell "no evidence" from "evidence of no effect": the placebo p (else the t-test's) and the CI against the MDE."""
    p = row["placebo_pvalue"] if not math.isnan(row["placebo_pvalue"]) else row["t_pvalue"]
    if math.isnan(p) or math.isnan(row["mde"]):
        return "too few events"
    if p < alpha:
        return "evidence of an effect"
    if -row["mde"] < row["ci_lo"] and row["ci_hi"] < row["mde"]:
        return "evidence of no effect as large as the MDE"
    return "no evidence either way"


def bootstrap_bands(paths: np.ndarray, days: np.ndarray, level: float, n_boot: int, rng) -> pd.DataFrame:
    """Mean and median paths with pointwise (percentile) and simultaneous (sup-t) bootstrap bands."""
    n_ev, width = paths.shape
    cols: dict[str, Any] = {"n": np.full(width, n_ev)}
    est = {"mean": paths.mean(axis=0), "median": np.median(paths, axis=0)} if n_ev else {"mean": np.full(width, np.nan), "median": np.full(width, np.nan)}
    boot = {k: np.full((n_boot, width), np.nan) for k in est}
    resample = n_ev >= 2 and n_boot > 0
    if resample:
        idx = rng.integers(0, n_ev, size=(n_boot, n_ev))
        step = max(1, _BOOT_CHUNK // (n_ev * width))
        for s in range(0, n_boot, step):
            sample = paths[idx[s : s + step]]
            boot["mean"][s : s + step] = sample.mean(axis=1)
            boot["median"][s : s + step] = np.median(sample, axis=1)
    for k, centre in est.items():
        lo = hi = sim_lo = sim_hi = np.full(width, np.nan)
        if resample:
            lo, hi = np.quantile(boot[k], [(1 - level) / 2, (1 + level) / 2], axis=0)
            sd = boot[k].std(axis=0, ddof=1)
            ok = sd > 0  # day -1 is 0 in every path
            crit = float(np.quantile(np.max(np.abs(boot[k][:, ok] - centre[ok]) / sd[ok], axis=1), level)) if ok.any() else 0.0
            sim_lo, sim_hi = centre - crit * sd, centre + crit * sd
        cols.update({k: centre, f"{k}_lo": lo, f"{k}_hi": hi, f"{k}_sim_lo": sim_lo, f"{k}_sim_hi": sim_hi})
    return pd.DataFrame(cols, index=pd.Index(days, name="day"))


