"""Figures of an event study: the paths around the events with their bands, and the tests by horizon.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot
state), so a page can render them to SVG and a notebook can show them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["move_scale", "study_figure"]

_BLUE, _LIGHT, _ORANGE, _GREY = "#08519c", "#c6dbef", "#d94801", "#b5b5b5"


def move_scale(kind: str) -> tuple[float, str]:
    """Factor and unit label that show a study's moves: percent for prices, bp for yields."""
    return (100.0, "%") if kind == "price" else (1.0, "bp")


def study_figure(study: Any) -> Any:
    """A matplotlib Figure of a :class:`~jpmacro_bt.research.studies.Study` (which imports this module, hence ``Any``).

    Left: every used event's path, the mean and median paths, pointwise and simultaneous bands.
    Right: each event's move at each horizon, their mean with its interval, and the placebo's central range."""
    from matplotlib.figure import Figure

    s = study.result.settings
    scale, unit = move_scale(s.kind)
    fig = Figure(figsize=(11, 4.4), dpi=100)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.7, 1]})
    paths, bands = study.paths, study.bands
    days = bands.index.to_numpy()
    level = f"{s.level:.0%}"
    abnormal = "abnormal " if s.expected == "mean" else ""
    if paths.shape[1]:
        for col in paths.columns:
            ax1.plot(days, paths[col].to_numpy() * scale, color=_GREY, lw=0.6, alpha=0.7)
        if bands["mean_sim_lo"].notna().any():
            ax1.fill_between(days, bands["mean_sim_lo"] * scale, bands["mean_sim_hi"] * scale, color=_LIGHT, label=f"{level} simultaneous band")
            ax1.fill_between(days, bands["mean_lo"] * scale, bands["mean_hi"] * scale, color="#6baed6", alpha=0.55, label=f"{level} pointwise band")
        ax1.plot(days, bands["mean"] * scale, color=_BLUE, lw=2, label=f"mean of {paths.shape[1]} events")
        ax1.plot(days, bands["median"] * scale, color=_ORANGE, lw=1.4, ls="--", label="median")
        ax1.plot([], [], color=_GREY, lw=0.6, label="each event")
        ax1.legend(frameon=False, fontsize=8, loc="best")
    else:
        ax1.text(0.5, 0.5, "no event could be used (see the events table)", ha="center", va="center", transform=ax1.transAxes)
    ax1.axhline(0, color="#777", lw=0.8)
    ax1.axvline(0, color="#777", lw=0.8, ls=":")
    ax1.set_xlabel("bars from the event (day 0: first close at or after the announcement)")
    ax1.set_ylabel(f"{abnormal}move since the close of day -1 ({unit})")
    ax1.set_title(f"{study.title}: path around the events", fontsize=10)
    ax1.grid(alpha=0.3)
    _horizons_axes(ax2, study, scale, unit)
    fig.tight_layout()
    return fig


def _horizons_axes(ax, study: Any, scale: float, unit: str) -> None:
    s = study.result.settings
    summary = study.summary
    rng = np.random.default_rng(0)  # fixed jitter: the same study draws the same picture
    for j, h in enumerate(s.horizons):
        moves = study.events[f"move_{h}"].dropna().to_numpy() * scale
        row = summary.iloc[j]
        if np.isfinite(row["placebo_lo"]):
            ax.add_patch(_rect(j, row["placebo_lo"] * scale, row["placebo_hi"] * scale))
        ax.scatter(j + rng.uniform(-0.12, 0.12, len(moves)), moves, s=14, color=_GREY, zorder=2)
        if len(moves):
            lo = row["ci_lo"] * scale if np.isfinite(row["ci_lo"]) else np.nan
            hi = row["ci_hi"] * scale if np.isfinite(row["ci_hi"]) else np.nan
            mean = row["mean"] * scale
            if np.isfinite(lo):
                ax.errorbar([j], [mean], yerr=[[mean - lo], [hi - mean]], fmt="o", color=_BLUE, capsize=4, zorder=3)
            else:
                ax.plot([j], [mean], "o", color=_BLUE, zorder=3)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], marker="o", color=_BLUE, label=f"mean, {s.level:.0%} t interval"),
        Line2D([], [], marker="o", ls="", ms=4, color=_GREY, label="each event"),
    ] + ([Patch(color="#fdd0a2", label=f"central {s.level:.0%} of placebo means")] if s.n_placebo else [])
    ax.axhline(0, color="#777", lw=0.8)
    ax.set_xticks(range(len(s.horizons)))
    ax.set_xticklabels([f"{h} bar{'s' if h != 1 else ''}" for h in s.horizons])
    ax.set_xlim(-0.6, len(s.horizons) - 0.4)
    ax.set_xlabel("horizon (from the close of day -1)")
    ax.set_ylabel(f"move ({unit})")
    ax.set_title("moves by horizon against random days", fontsize=10)
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="best")
    ax.grid(alpha=0.3, axis="y")


def _rect(j: float, lo: float, hi: float):
    from matplotlib.patches import Rectangle

    return Rectangle((j - 0.3, lo), 0.6, hi - lo, color="#fdd0a2", alpha=0.8, zorder=1, lw=0)
