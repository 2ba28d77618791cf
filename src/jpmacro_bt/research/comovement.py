"""Do correlations snap to one in an unwind? Average pairwise correlation in stress windows against calm ones.

Returns are daily, on the bars of the first asset; every other series gives its
last close at or before each of those bars (:meth:`MarketData.panel`'s as-of
rule), so markets that close hours apart are compared over nearly, not
exactly, the same 24 hours: that lowers every correlation, calm and stress
alike.

Stress windows: a fast yen rally (the ``yen``'s ``yen_bars``-bar return at or
below ``yen_move``, as of a bar) and the ``stress_bars - 1`` bars after it; calm:
every other bar.

Forbes and Rigobon (2002): when the market where a shock starts grows more
volatile, correlations measured then rise even if the links between markets
are unchanged. For a pair made of the source ``x`` and a market ``y`` they
adjust the stress correlation to ``rho* = rho / sqrt(1 + delta (1 - rho**2))``,
``delta`` the relative rise of the source's variance from calm to stress. The
pairs here do not hold the source (the yen), so the same correction is made on
the covariances: each asset's stress loading on the source,
``b_i = cov(r_i, x) / var(x)``, carries the source's extra variance
``D = var_stress(x) - var_calm(x)`` into every covariance, and
``cov*_ij = cov_ij - b_i b_j D`` (variances alike) takes it out. For a pair
holding the source this is exactly Forbes and Rigobon's ``rho*``; under their
null (links unchanged, only the source more volatile) it gives back the calm
correlation.

Statistic: the mean over pairs of the adjusted stress correlations minus the
mean over pairs of the calm ones. Interval: moving-block bootstrap of the bars
(blocks of ``block`` bars, carrying their stress labels). p-value: the stress
windows shifted around the sample by a random circular offset, which keeps
their number, lengths and spacing (a block-aware placebo), two-sided around the
placebo mean.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.data import MarketData
from jpmacro_bt.errors import DataError, JpMacroError
from jpmacro_bt.research.findings import (
    ClaimContext,
    Finding,
    normal_mde,
    price_returns,
)

__all__ = ["adjusted_correlations", "correlation_test", "stress_gap"]


def adjusted_correlations(returns: np.ndarray, source: np.ndarray, calm_var: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Raw and Forbes-Rigobon adjusted correlation matrices of ``returns`` (bars x assets) given the source's calm
    variance; and ``delta``, the relative rise of the source's variance."""
    cov = np.cov(np.column_stack([returns, source]).T)
    var_x = cov[-1, -1]
    b = cov[:-1, -1] / var_x
    extra = var_x - calm_var
    raw = cov[:-1, :-1]
    adj = raw - np.outer(b, b) * extra

    def corr(c: np.ndarray) -> np.ndarray:
        d = np.sqrt(np.diag(c))
        return c / np.outer(d, d)

    return corr(raw), corr(adj), float(var_x / calm_var - 1.0)


def stress_gap(returns: np.ndarray, source: np.ndarray, stress: np.ndarray) -> dict[str, float]:
    """Mean pairwise correlation of ``returns`` (bars x assets) in stress (raw and adjusted) and in calm.

    ``source`` holds the shock source's returns on the same bars; ``gap`` is adjusted stress minus calm.
    """
    calm = ~stress
    if stress.sum() < 3 or calm.sum() < 3:
        return {"gap": math.nan, "stress": math.nan, "adjusted": math.nan, "calm": math.nan, "delta": math.nan}
    with np.errstate(invalid="ignore", divide="ignore"):
        cs, adj, delta = adjusted_correlations(returns[stress], source[stress], float(np.var(source[calm], ddof=1)))
        cc = np.corrcoef(returns[calm].T)
    iu = np.triu_indices(returns.shape[1], 1)
    out = {"stress": float(cs[iu].mean()), "adjusted": float(adj[iu].mean()), "calm": float(cc[iu].mean()), "delta": delta}
    return out | {"gap": out["adjusted"] - out["calm"]}


def _pairs(returns: np.ndarray, source: np.ndarray, stress: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Per pair: calm, stress and adjusted stress correlations."""
    cs, adj, _ = adjusted_correlations(returns[stress], source[stress], float(np.var(source[~stress], ddof=1)))
    cc = np.corrcoef(returns[~stress].T)
    rows = [{"pair": f"{names[i]}-{names[j]}", "calm": cc[i, j], "stress": cs[i, j], "stress_adjusted": adj[i, j]}
            for i, j in zip(*np.triu_indices(len(names), 1))]  # fmt: skip
    return pd.DataFrame(rows)


def _draws(returns, source, stress, block: int, n_boot: int, n_placebo: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap gaps (moving blocks of bars) and placebo gaps (stress windows shifted by a random circular offset)."""
    n = len(stress)
    boot = np.full(n_boot, np.nan)
    starts = rng.integers(0, max(1, n - block + 1), size=(n_boot, math.ceil(n / block)))
    for i in range(n_boot):
        idx = (starts[i][:, None] + np.arange(block)[None, :]).ravel()[:n]
        boot[i] = stress_gap(returns[idx], source[idx], stress[idx])["gap"]
    placebo = np.full(n_placebo, np.nan)
    offsets = rng.integers(block, max(block + 1, n - block), size=n_placebo)
    for i, k in enumerate(offsets):
        placebo[i] = stress_gap(returns, source, np.roll(stress, int(k)))["gap"]
    return boot[np.isfinite(boot)], placebo[np.isfinite(placebo)]


def correlation_test(p: dict[str, Any], level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    """The ``correlation`` test of a claim (see the module docstring)."""
    from jpmacro_bt.research.claimplots import correlation_figure

    assets, yen = list(p["assets"]), p["yen"]
    if len(assets) < 2 or yen in assets:
        raise JpMacroError(f"[params] assets={assets} needs two or more symbols other than the yen pair {yen!r}")
    panel = data.panel([*assets, yen], calendar=assets[0])
    rets = pd.DataFrame({c: price_returns(panel[c]) for c in panel.columns})
    yen_k = price_returns(panel[yen], p["yen_bars"])
    frame = rets.assign(_yen_k=yen_k).dropna()
    if len(frame) < 4 * p["stress_bars"]:
        raise DataError(f"{len(frame)} bars with every series ({', '.join(assets)}, {yen}); too few to tell stress from calm")
    fired = (frame["_yen_k"] <= p["yen_move"]).astype(float)
    stress = fired.rolling(p["stress_bars"], min_periods=1).max().to_numpy() > 0
    r, src = frame[assets].to_numpy(), frame[yen].to_numpy()
    obs = stress_gap(r, src, stress)
    if not math.isfinite(obs["gap"]):
        raise DataError(f"only {int(stress.sum())} stress bars ({yen} {p['yen_bars']}-bar return <= {p['yen_move']:.1%}); too few for a correlation")
    rng = np.random.default_rng(np.random.SeedSequence(ctx.seed).spawn(1)[0])
    boot, placebo = _draws(r, src, stress, p["block"], ctx.bootstrap, ctx.placebo, rng)
    alpha = 1 - level
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2]) if len(boot) else (math.nan, math.nan)
    centre = placebo.mean() if len(placebo) else math.nan
    dev = abs(obs["gap"] - centre)
    p_value = (1 + np.count_nonzero(np.abs(placebo - centre) >= dev - 1e-12)) / (len(placebo) + 1) if len(placebo) else math.nan
    half = len(frame) // 2
    halves = tuple(stress_gap(r[s], src[s], stress[s])["gap"] for s in (slice(0, half), slice(half, None)))
    episodes = int(np.count_nonzero(np.diff(np.r_[0, stress.astype(int)]) == 1))
    notes = (
        (f"Stress: {int(stress.sum()):,} bars in {episodes} windows ({yen} {p['yen_bars']}-bar return <= {p['yen_move']:.1%} and the "
        f"{p['stress_bars'] - 1} bars after); calm: {int((~stress).sum()):,} bars."),
        (f"Mean pairwise correlation of {', '.join(assets)}: calm {obs['calm']:.2f}; stress {obs['stress']:.2f} raw, {obs['adjusted']:.2f} after the "
        f"Forbes-Rigobon adjustment (the {yen} variance is {obs['delta'] + 1:.1f} times its calm value); one would mean they move in lockstep."),
        f"Interval: {len(boot):,} moving-block bootstrap resamples ({p['block']}-bar blocks); p-value: {len(placebo):,} circular shifts of the stress windows.",
    )  # fmt: skip
    pairs = _pairs(r, src, stress, assets)
    return Finding(
        statistic="mean pairwise correlation in yen-rally stress windows (Forbes-Rigobon adjusted) minus calm", estimate=obs["gap"],
        ci=(float(lo), float(hi)), p_value=float(p_value), p_method="placebo: stress windows shifted at random", n=episodes, n_what="stress windows",
        period=(frame.index[0].date().isoformat(), frame.index[-1].date().isoformat()), halves=(halves[0], halves[1]),
        mde=normal_mde(float(boot.std(ddof=1)) if len(boot) > 1 else math.nan, alpha, ctx.power), notes=notes,
        draw=lambda: correlation_figure(frame[assets], stress, pairs), table=pairs,
    )  # fmt: skip
