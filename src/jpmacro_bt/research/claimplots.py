"""Figures of the claim tests and of the scorecard (matplotlib Figures, no pyplot state)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.indicators import mean_pairwise_corr

__all__ = ["VERDICT_COLORS", "correlation_figure", "forest_figure", "hedged_figure", "regression_figure", "tic_figure"]

VERDICT_COLORS = {"supported": "#2e7d32", "contradicted": "#c62828", "inconclusive": "#757575", "not tested": "#b8860b"}
_BLUE, _ORANGE = "#1f5f99", "#d94801"


def _figure(width: float, height: float, ncols: int = 1, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.subplots(1, ncols, **kw)


def regression_figure(frame: pd.DataFrame, fit: dict[str, Any], *, x_label: str, y_label: str, percent: bool = False, window: int = 250) -> Any:
    """Left: the pairs and the fitted line. Right: the slope over rolling ``window``-observation samples."""
    fig, (ax1, ax2) = _figure(11, 4.2, 2, gridspec_kw={"width_ratios": [1, 1.5]})
    scale = 100.0 if percent else 1.0
    x, y = frame["x"].to_numpy() * scale, frame["y"].to_numpy() * scale
    ax1.scatter(x, y, s=3, alpha=0.25, color=_BLUE, lw=0)
    lo, hi = np.quantile(x, [0.001, 0.999])
    grid = np.linspace(lo, hi, 2)
    ax1.plot(grid, fit["intercept"] * scale + fit["estimate"] * grid, color=_ORANGE, lw=2, label=f"slope {fit['estimate']:.3f}")
    ax1.set_xlim(lo, hi)
    ax1.set_ylim(*np.quantile(y, [0.001, 0.999]))
    unit = " (%)" if percent else ""
    ax1.set_xlabel(x_label + unit)
    ax1.set_ylabel(y_label + unit)
    ax1.legend(frameon=False, fontsize=9)
    ax1.grid(alpha=0.3)
    ax1.set_title(f"{len(frame):,} pairs (axes cut at the 0.1 % tails)", fontsize=10)
    cov = frame["x"].rolling(window).cov(frame["y"])
    beta = (cov / frame["x"].rolling(window).var()).dropna()
    ax2.plot(pd.DatetimeIndex(beta.index), beta.to_numpy(), color=_BLUE, lw=1)
    ax2.axhline(fit["estimate"], color=_ORANGE, lw=1.2, ls="--", label="full-sample slope")
    ax2.axhline(0, color="#777", lw=0.8)
    ax2.set_title(f"slope over rolling {window}-observation samples", fontsize=10)
    ax2.legend(frameon=False, fontsize=9)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def hedged_figure(pickup: pd.Series, recent_start: pd.Timestamp, since: pd.Timestamp) -> Any:
    """The hedged pickup over its history, the tested recent window shaded, and where today's sign began."""
    fig, ax = _figure(11, 4)
    dates = pd.DatetimeIndex(pickup.index)
    ax.plot(dates, pickup.to_numpy(), color=_BLUE, lw=0.9)
    ax.axhline(0, color="#777", lw=0.8)
    ax.axvspan(pd.Timestamp(recent_start), dates[-1], color="#fdd0a2", alpha=0.7, label="tested window")
    ax.axvline(pd.Timestamp(since), color=_ORANGE, lw=1.2, ls="--", label=f"today's sign since {pd.Timestamp(since):%Y-%m-%d}")
    ax.set_ylabel("hedged pickup over JGBs (bp)")
    ax.set_title("FX-hedged 10-year Treasury yield minus 10-year JGB yield, for a yen investor", fontsize=10)
    ax.legend(frameon=False, fontsize=9, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def tic_figure(frame: pd.DataFrame, check_value: float, check: pd.Timestamp | None) -> Any:
    """Holdings and their 12-month change, each at the date it was published."""
    fig, (ax1, ax2) = _figure(11, 4.2, 2)
    published = pd.DatetimeIndex(frame["published"])
    ax1.step(published, frame["holdings"].to_numpy(), where="post", color=_BLUE, lw=1.2)
    if check is not None and check in frame.index and check_value:
        when = frame.loc[check, "published"]
        ax1.plot([when], [check_value], "o", color=_ORANGE, label=f"cited: {check_value:,.0f} bn for {check:%b %Y}")
        ax1.legend(frameon=False, fontsize=9, loc="best")
    ax1.set_ylabel("USD bn")
    ax1.set_title("Japan's Treasury holdings, as published", fontsize=10)
    ax1.grid(alpha=0.3)
    change = frame["change_12m"].to_numpy() * 100
    ax2.bar(published, change, width=25, color=np.where(change < 0, "#c62828", "#2e7d32"))
    ax2.axhline(0, color="#777", lw=0.8)
    ax2.set_ylabel("12-month log change (%)")
    ax2.set_title("12-month change, as published", fontsize=10)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def correlation_figure(returns: pd.DataFrame, stress: np.ndarray, pairs: pd.DataFrame, window: int = 60) -> Any:
    """Left: rolling mean pairwise correlation with the stress windows shaded. Right: each pair, calm against stress."""
    fig, (ax1, ax2) = _figure(11, 4.4, 2, gridspec_kw={"width_ratios": [1.5, 1]})
    rolling = mean_pairwise_corr(returns, window)
    dates = pd.DatetimeIndex(returns.index)
    ax1.plot(dates, rolling.to_numpy(), color=_BLUE, lw=0.9, label=f"{window}-bar mean pairwise correlation")
    ax1.fill_between(dates, 0, 1, where=stress, color="#fdd0a2", alpha=0.8, transform=ax1.get_xaxis_transform(), label="stress windows", lw=0)
    ax1.axhline(1, color="#777", lw=0.8, ls=":")
    ax1.axhline(0, color="#777", lw=0.8)
    ax1.set_ylim(-0.3, 1.05)
    ax1.legend(frameon=False, fontsize=8, loc="upper left")
    ax1.set_title("correlation over time (1 = 'snap to one')", fontsize=10)
    ax1.grid(alpha=0.3)
    y = np.arange(len(pairs))
    ax2.barh(y - 0.27, pairs["calm"], height=0.27, color="#9e9e9e", label="calm")
    ax2.barh(y, pairs["stress"], height=0.27, color="#fd8d3c", label="stress, raw")
    ax2.barh(y + 0.27, pairs["stress_adjusted"], height=0.27, color=_BLUE, label="stress, Forbes-Rigobon")
    ax2.set_yticks(y)
    ax2.set_yticklabels(pairs["pair"], fontsize=8)
    ax2.invert_yaxis()
    ax2.axvline(0, color="#777", lw=0.8)
    ax2.set_xlim(min(-0.1, float(pairs[["calm", "stress", "stress_adjusted"]].min().min()) - 0.05), 1)
    ax2.set_title("each pair", fontsize=10)
    ax2.legend(frameon=False, fontsize=8, loc="lower right")
    ax2.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def forest_figure(table: pd.DataFrame) -> Any:
    """Each tested claim's estimate in standard errors, signed so that the claimed direction points right.

    The interval is the claim's confidence interval on that scale; the diamond marks the economic threshold.
    """
    rows = table[np.isfinite(table["estimate"].to_numpy(dtype=float))].reset_index(drop=True)
    fig, ax = _figure(11, 0.42 * max(len(rows), 3) + 1.3)
    for i, r in rows.iterrows():
        s = 1.0 if r["direction"] == "+" else -1.0
        lo, hi = sorted((s * r["ci_lo"], s * r["ci_hi"]))
        se = (hi - lo) / (2 * 1.959964) if hi > lo else math.nan
        if not math.isfinite(se) or se <= 0:
            continue
        color = VERDICT_COLORS.get(r["verdict"], "#333")
        z = s * r["estimate"] / se
        ax.plot([lo / se, hi / se], [i, i], color=color, lw=2)
        ax.plot([z], [i], "o", color=color, ms=6)
        if r["threshold"] > 0:
            ax.plot([r["threshold"] / se], [i], "D", mfc="none", mec="#333", ms=6)
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("symlog", linthresh=3, linscale=1.5)  # linear within 3 standard errors, compressed beyond
    lo, hi = ax.get_xlim()
    ticks = [v for v in (-100, -30, -10, -3, -2, -1, 0, 1, 2, 3, 10, 30, 100) if lo <= v <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.axvline(0, color="#777", lw=0.8)
    for x in (-1.96, 1.96):
        ax.axvline(x, color="#bbb", lw=0.8, ls="--")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows["id"], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("estimate / standard error, claimed direction to the right (compressed beyond ±3); bar: interval; "
                  "dashes: ±1.96; diamond: economic threshold", fontsize=9)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, marker="o", lw=2, label=v) for v, c in VERDICT_COLORS.items() if v != "not tested"]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title("The claims against their evidence", fontsize=10)
    fig.tight_layout()
    return fig
