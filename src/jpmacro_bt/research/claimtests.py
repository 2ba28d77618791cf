"""The tests a claim can name, each shaped to the claim; every one returns a :class:`Finding`.

A test gets its parameters (the claim file's ``[params]``, completed from the
defaults in :data:`TESTS`), the claim's horizon and confidence level, the
loaded data and a :class:`ClaimContext`. Its :class:`Finding` holds one
statistic with its interval and two-sided p-value, the statistic in each half of
the sample (for the "holds in both halves" rule), and the minimum detectable
effect. No test sees data published after the moment it is used: event and
signal studies follow the package's timing rule, regressions pair each
series with the last value of the other that closed before it
(:meth:`MarketData.panel`'s as-of rule), and TIC figures count from their
publication.

The correlation test lives in :mod:`jpmacro_bt.research.comovement`; the
figures in :mod:`jpmacro_bt.research.claimplots`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from jpmacro_bt.carry import rate_changes, rates_on_bars
from jpmacro_bt.data import MarketData
from jpmacro_bt.errors import DataError, JpMacroError, did_you_mean
from jpmacro_bt.events import tradable_positions
from jpmacro_bt.indicators import align, change_bp
from jpmacro_bt.research.eventstats import minimum_detectable_effect
from jpmacro_bt.research.findings import (
    ClaimContext,
    Finding,
    normal_mde,
    price_returns,
)
from jpmacro_bt.research.studies import EventSelection, Study, study

__all__ = ["TESTS", "ClaimTest", "check_params", "hac_mean_or_slope", "oos_r2", "signal_events"]


@dataclass(frozen=True)
class ClaimTest:
    """A test: ``run(params, horizon, level, data, ctx) -> Finding``, its parameters (None: required) and a description."""

    run: Callable[..., Finding] | None
    defaults: dict[str, Any]
    describe: str


def check_params(test: str, params: dict[str, Any], where: str) -> dict[str, Any]:
    """``params`` completed from the test's defaults; an unknown or missing name raises, naming the fix."""
    if test not in TESTS:
        raise JpMacroError(f"{where}: unknown test {test!r}{did_you_mean(test, TESTS)}; use one of {', '.join(TESTS)}")
    defaults = TESTS[test].defaults
    for name in params:
        if name not in defaults:
            raise JpMacroError(f"{where}: test {test!r} has no parameter {name!r}{did_you_mean(name, defaults)}; its parameters: {', '.join(defaults) or 'none'}")
    merged = {**defaults, **params}
    missing = [k for k, v in merged.items() if v is None]
    if missing:
        raise JpMacroError(f"{where}: test {test!r} needs [params] {', '.join(missing)}")
    return merged


# --- shared pieces -------------------------------------------------------------------------


def hac_mean_or_slope(y: np.ndarray, x: np.ndarray | None, level: float) -> dict[str, Any]:
    """OLS of ``y`` on a constant (and ``x``) with Newey-West (HAC) errors; the mean (or the slope) with its interval.

    The lag count is the Newey-West rule ``floor(4 (n / 100) ** (2 / 9))``.
    """
    import statsmodels.api as sm

    n = len(y)
    if n < 10:
        raise DataError(f"{n} observations are too few for a regression; at least 10 are needed")
    lags = math.floor(4 * (n / 100) ** (2 / 9))
    design = np.ones((n, 1)) if x is None else np.column_stack([np.ones(n), x])
    fit = sm.OLS(np.asarray(y, dtype=float), design).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    j = 0 if x is None else 1
    lo, hi = fit.conf_int(alpha=1 - level)[j]
    return {"estimate": float(fit.params[j]), "se": float(fit.bse[j]), "ci": (float(lo), float(hi)), "p": float(fit.pvalues[j]),
            "n": n, "lags": lags, "intercept": float(fit.params[0])}  # fmt: skip


def _halves(values: np.ndarray, fn: Callable[[np.ndarray], float]) -> tuple[float, float]:
    first, second = np.array_split(np.asarray(values), 2)
    return (fn(first) if len(first) else math.nan, fn(second) if len(second) else math.nan)


def _iso(ts: Any) -> str:
    return pd.Timestamp(ts).date().isoformat()


# --- event and signal studies ------------------------------------------------------------


def _from_study(st: Study, horizon: int, statistic: str, notes: list[str]) -> Finding:
    """The finding at ``horizon`` of a study: mean abnormal move, t interval, placebo p (t-test p without placebo)."""
    if horizon not in st.result.settings.horizons:
        raise JpMacroError(f"horizon {horizon} is not among the study's horizons {list(st.result.settings.horizons)}; add it to [params] horizons")
    row = st.summary.set_index("horizon").loc[horizon]
    used = st.events[st.events["used"]]
    x = used[f"move_{horizon}"].to_numpy(dtype=float)
    placebo = math.isfinite(row["placebo_pvalue"])
    s = st.result.settings
    p_method = (f"placebo: {s.n_placebo:,} draws of {len(x)} random non-event days" if placebo else "t-test across events")
    flagged = int(used["contaminated"].sum())
    if flagged:
        notes.append(f"{flagged} of {len(used)} event windows also hold other events (kept; see the study page).")
    unused = len(st.events) - len(used)
    if unused:
        notes.append(f"{unused} event(s) not used (no data around them; reasons on the study page).")
    return Finding(
        statistic=statistic, estimate=float(row["mean"]), ci=(float(row["ci_lo"]), float(row["ci_hi"])),
        p_value=float(row["placebo_pvalue"] if placebo else row["t_pvalue"]), p_method=p_method, n=int(row["n"]), n_what="events",
        period=(_iso(used["day0"].iloc[0]), _iso(used["day0"].iloc[-1])) if len(used) else ("", ""),
        halves=_halves(x, lambda v: float(v.mean())), mde=float(row["mde"]), notes=tuple(notes), study=st,
    )  # fmt: skip


def _event_study(p: dict, horizon: int, level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    hs = sorted(set(p["horizons"]) | {horizon})
    st = study(p["events"], p["asset"], window=p["window"], horizons=hs, placebo=ctx.placebo, bootstrap=ctx.bootstrap,
               exclude_contaminated=p["exclude_contaminated"], level=level, seed=ctx.seed, data=data)  # fmt: skip
    what = "return" if st.result.settings.kind == "price" else "change"
    statistic = f"mean abnormal {st.asset} {what} over {horizon} bar(s) from the close before each {st.selection.name} event"
    return _from_study(st, horizon, statistic, [st.selection.coverage] if st.selection.coverage else [])


def signal_events(data: MarketData, asset: str, *, yen: str, yen_bars: int, yen_move: float, asset_bars: int = 0,
                  asset_move: float = 0.0, cooldown: int = 20) -> EventSelection:  # fmt: skip
    """Days a fast yen rally (``yen``'s ``yen_bars``-bar return at or below ``yen_move``; with ``asset_bars``, also
    ``asset``'s own return over them at or below ``asset_move``) is known at a close of ``asset``.

    A signal is the bar the condition switches on (it was off the bar before). Each event is stamped just after the
    first close of ``asset`` at or after the signal's close, so that close is day -1 of a study and every move counts
    from a price a trader could have had. A new event needs more than ``cooldown`` bars of ``asset`` since the last
    one, so event windows of that length do not overlap.
    """
    a_close, a_times = data.close(asset), data.bar_close(asset)
    yen_k = price_returns(data.close(yen), yen_bars)
    if asset_bars:
        yen_on_asset = align(data, asset, {"yen_k": (yen_k, data.bars[yen].close)})["yen_k"].reindex(a_close.index)
        fired, stamps = (price_returns(a_close, asset_bars) <= asset_move) & (yen_on_asset <= yen_move), a_times
    else:
        fired, stamps = yen_k <= yen_move, data.bar_close(yen)
    onset = (fired & ~fired.shift(1, fill_value=False)).to_numpy()  # a move that stays past the bar is one signal
    signal_times = pd.DatetimeIndex(stamps[onset].array)
    pos = np.unique(tradable_positions(signal_times, pd.DatetimeIndex(a_times.array)))
    kept: list[int] = []
    for q in pos[pos < len(a_close)]:
        if not kept or q - kept[-1] > cooldown:
            kept.append(int(q))
    times = pd.DatetimeIndex(a_times.array)[kept] + pd.Timedelta(1, "ns")
    labels = [f"{d:%Y-%m-%d}" for d in a_close.index[kept]]
    rule = f"{yen} {yen_bars}-bar return <= {yen_move:.1%}" + (f" and {asset} {asset_bars}-bar return <= {asset_move:.1%}" if asset_bars else "")
    series = pd.Series(list(times), index=pd.Index(labels, dtype=object), dtype=object)
    name = f"{asset} fall in a yen rally" if asset_bars else "yen rally"
    return EventSelection(f"signal: {rule}", name, series, {}, f"{len(kept)} episodes of {rule}, at least {cooldown} bars apart", "")


def _signal_study(p: dict, horizon: int, level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    asset = p["asset"]
    window = p["window"]
    cooldown = p["cooldown"] or int(str(window).split(":")[-1])
    sel = signal_events(data, asset, yen=p["yen"], yen_bars=p["yen_bars"], yen_move=p["yen_move"], asset_bars=p["asset_bars"],
                        asset_move=p["asset_move"], cooldown=cooldown)  # fmt: skip
    if sel.times.empty:
        raise DataError(f"no {sel.spec.removeprefix('signal: ')} in the data; nothing to study")
    hs = sorted(set(p["horizons"]) | {horizon})
    st = study(sel, asset, window=window, horizons=hs, placebo=ctx.placebo, bootstrap=ctx.bootstrap, level=level, seed=ctx.seed, data=data)
    statistic = f"mean abnormal {asset} return over {horizon} bar(s) from the first {asset} close after {sel.spec.removeprefix('signal: ')}"
    notes = [f"Events: {sel.description}. Day -1 is the first {asset} close at which the signal was public, so the moves are tradable."]
    return _from_study(st, horizon, statistic, notes)


# --- regressions -----------------------------------------------------------------------------


def _paired(data: MarketData, y: pd.Series, y_sym: str, x: pd.Series, x_sym: str) -> pd.DataFrame:
    """``y`` on its own bars beside the ``x`` of the last bar of ``x_sym`` closed at or before each, each ``x`` used once."""
    new_x = align(data, y_sym, {"x": (x, data.bars[x_sym].close)}, max_fill=0)["x"]
    return pd.DataFrame({"x": new_x, "y": y.reindex(new_x.index)}).dropna()


def _regression_finding(frame: pd.DataFrame, level: float, ctx: ClaimContext, statistic: str, notes: list[str], draw_kw: dict) -> Finding:
    from jpmacro_bt.research.claimplots import regression_figure

    fit = hac_mean_or_slope(frame["y"].to_numpy(), frame["x"].to_numpy(), level)
    halves = tuple(hac_mean_or_slope(frame["y"].to_numpy()[i], frame["x"].to_numpy()[i], level)["estimate"] for i in np.array_split(np.arange(len(frame)), 2))
    notes.append(f"Newey-West (HAC) standard errors with {fit['lags']} lags.")
    return Finding(
        statistic=statistic, estimate=fit["estimate"], ci=fit["ci"], p_value=fit["p"], p_method="HAC t-test of the slope", n=fit["n"], n_what="days",
        period=(_iso(frame.index[0]), _iso(frame.index[-1])), halves=(halves[0], halves[1]), mde=normal_mde(fit["se"], 1 - level, ctx.power),
        notes=tuple(notes), draw=lambda: regression_figure(frame, fit, **draw_kw), table=frame,
    )  # fmt: skip


def _spillover(p: dict, horizon: int, level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    y_sym, x_sym = p["y"], p["x"]
    frame = _paired(data, change_bp(data.close(y_sym)), y_sym, change_bp(data.close(x_sym)), x_sym)
    notes = [(f"Each {y_sym} daily change (New York close to close) is paired with the {x_sym} change of the last Tokyo close before it "
             f"(the same date: Tokyo closes first); a day Tokyo is shut gives no pair. The windows overlap over the Asian session, so "
             "news that moves both markets then counts as spillover: the slope is an upper bound on the spillover itself.")]  # fmt: skip
    statistic = f"slope of the {y_sym} daily change on the {x_sym} change of the same date (bp per bp)"
    return _regression_finding(frame, level, ctx, statistic, notes, {"x_label": f"{x_sym} change (bp)", "y_label": f"{y_sym} change (bp)"})


def _lead_lag(p: dict, horizon: int, level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    leader, asset = p["leader"], p["asset"]
    close = data.close(asset)
    ahead = price_returns(close, horizon).shift(-horizon)  # from this close to the close `horizon` bars later
    frame = _paired(data, ahead, asset, price_returns(data.close(leader)), leader)
    oos = oos_r2(frame, p["oos_start"])
    notes = [
        (f"Predictive: the {leader} return of a Tokyo day (close to close) against the {asset} return from its first close after that Tokyo "
        f"close to the close {horizon} bar(s) later; the same-day {asset} move, which overlaps Tokyo's day, is not used."),
        f"Out-of-sample R² (Campbell and Thompson: expanding-window regression against the expanding mean, forecasts from observation "
        f"{p['oos_start']:,}): {oos:+.4%}" + (" (below zero: the historical mean forecasts better)." if oos < 0 else "."),
    ]  # fmt: skip
    statistic = f"slope of the next {horizon}-bar {asset} return on the {leader} return of the Tokyo day before it"
    return _regression_finding(frame, level, ctx, statistic, notes, {"x_label": f"{leader} return", "y_label": f"next {asset} return", "percent": True})


def oos_r2(frame: pd.DataFrame, start: int) -> float:
    """Campbell-Thompson out-of-sample R² of expanding-window OLS forecasts of ``y`` from ``x``, from row ``start`` on."""
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    if len(y) <= start + 1:
        return math.nan
    n = np.arange(1, len(y) + 1)
    sx, sy, sxx, sxy = (np.cumsum(v) for v in (x, y, x * x, x * y))
    # Fit on rows [0, t) for each t: slope and intercept from the running sums, then forecast row t.
    mx, my = sx[:-1] / n[:-1], sy[:-1] / n[:-1]
    var = sxx[:-1] / n[:-1] - mx**2
    slope = np.where(var > 0, (sxy[:-1] / n[:-1] - mx * my) / np.where(var > 0, var, 1), 0.0)
    forecast = my + slope * (x[1:] - mx)
    keep = slice(start - 1, None)
    model = np.sum((y[1:][keep] - forecast[keep]) ** 2)
    naive = np.sum((y[1:][keep] - my[keep]) ** 2)
    return float(1 - model / naive) if naive > 0 else math.nan


# --- levels: the hedged pickup, TIC holdings ----------------------------------------------------


def _hedged_spread(p: dict, horizon: int, level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    from jpmacro_bt.research.claimplots import hedged_figure

    ust, jgb = p["ust"], p["jgb"]
    panel = data.panel([ust, jgb], calendar=ust)
    bar_close = data.bar_close(ust).reindex(panel.index)
    gap = rates_on_bars(rate_changes("USD", ctx.events), bar_close) - rates_on_bars(rate_changes("JPY", ctx.events), bar_close)
    pickup = ((panel[ust] - gap - panel[jgb]) * 100.0).dropna().rename("pickup_bp")
    recent = pickup.iloc[-p["recent_bars"] :]
    fit = hac_mean_or_slope(recent.to_numpy(), None, level)
    today = float(pickup.iloc[-1])
    flips = pickup.index[np.sign(pickup.to_numpy()) != np.sign(today)]
    since = pickup.index[pickup.index > flips[-1]][0] if len(flips) else pickup.index[0]
    notes = [
        (f"Pickup = {ust} - (US policy rate - BoJ policy rate) - {jgb}, in bp: a 10-year Treasury bought by a yen investor who hedges the "
        "dollars by rolling short forwards, which cost about the short-rate gap. Policy rates from the FOMC and BoJ calendars (the Fed's "
        "upper bound); the cross-currency basis, which makes the hedge dearer still, is left out, so the pickup is if anything too high."),
        f"Today ({_iso(pickup.index[-1])}): {today:+.0f} bp, {'below' if today < 0 else 'at or above'} zero every day since {_iso(since)}.",
    ]  # fmt: skip
    return Finding(
        statistic=f"mean hedged pickup of {ust} over {jgb} over the last {len(recent)} {ust} bars (bp)", estimate=fit["estimate"], ci=fit["ci"],
        p_value=fit["p"], p_method=f"HAC t-test of the mean ({fit['lags']} lags)", n=fit["n"], n_what="days",
        period=(_iso(recent.index[0]), _iso(recent.index[-1])), halves=_halves(recent.to_numpy(), lambda v: float(v.mean())),
        mde=normal_mde(fit["se"], 1 - level, ctx.power), notes=tuple(notes),
        draw=lambda: hedged_figure(pickup, recent.index[0], since), table=pickup.to_frame(),
    )  # fmt: skip


def _tic_holdings(p: dict, horizon: int, level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    from jpmacro_bt.research.claimplots import tic_figure

    holdings = data.close(p["symbol"]).dropna()
    months = p["months"]
    if len(holdings) < months + 1:
        raise DataError(f"{p['symbol']} has {len(holdings)} monthly figures; the test needs {months + 1}")
    frame = pd.DataFrame({"holdings": holdings, "published": holdings.index + pd.Timedelta(days=p["release_lag_days"])})
    frame["change_12m"] = np.log(holdings).diff(12)
    changes = np.log(holdings).diff().dropna().iloc[-months:]
    tt = stats.ttest_1samp(changes.to_numpy(), 0.0)
    ci = tt.confidence_interval(level)
    sd = float(changes.std(ddof=1))
    last = holdings.index[-1]
    notes = [
        (f"Latest figure: {last:%B %Y}, {holdings.iloc[-1]:,.1f} bn USD, public about {_iso(frame['published'].iloc[-1])} (TIC is released "
        f"about the 15th-18th of the second month after; {p['release_lag_days']} days are assumed). Revised months hold their revised value."),
        (f"Statistic: the log change of holdings over the last {months} monthly figures ({changes.sum():+.2%}, "
        f"{holdings.iloc[-1] - holdings.iloc[-months - 1]:+,.1f} bn USD); its interval is {months} times the t interval of the mean monthly change."),
    ]  # fmt: skip
    check = pd.Timestamp(p["check_month"]) + pd.offsets.MonthEnd(0) if p["check_month"] else None
    if check is not None and check in holdings.index:
        notes.append(f"{check:%B %Y} in the data: {holdings[check]:,.1f} bn USD, against the {p['check_value']:,.0f} bn USD cited.")
    return Finding(
        statistic=f"{months}-month log change of {p['symbol']} to the latest figure", estimate=float(changes.sum()),
        ci=(float(ci.low) * months, float(ci.high) * months), p_value=float(tt.pvalue), p_method="t-test of the mean monthly change",
        n=months, n_what="months", period=(_iso(changes.index[0]), _iso(changes.index[-1])),
        halves=_halves(changes.to_numpy(), lambda v: float(v.sum())),
        mde=minimum_detectable_effect(months, sd, alpha=1 - level, power=ctx.power) * months if sd > 0 else math.nan,
        notes=tuple(notes), draw=lambda: tic_figure(frame, p["check_value"], check), table=frame,
    )  # fmt: skip


def _correlation(p: dict, horizon: int, level: float, data: MarketData, ctx: ClaimContext) -> Finding:
    from jpmacro_bt.research.comovement import correlation_test

    return correlation_test(p, level, data, ctx)


TESTS: dict[str, ClaimTest] = {
    "event_study": ClaimTest(_event_study, {"events": None, "asset": None, "window": "-10:20", "horizons": [1, 5, 20], "exclude_contaminated": False},
                             "event study around calendar events: mean abnormal move, placebo test against random days"),
    "signal_study": ClaimTest(_signal_study, {"asset": None, "yen": "USDJPY", "yen_bars": 5, "yen_move": None, "asset_bars": 0, "asset_move": 0.0,
                                              "window": "-5:20", "horizons": [1, 5, 20], "cooldown": 0},
                              "event study after a market signal (a fast yen rally): mean abnormal return, placebo test against random days"),
    "correlation": ClaimTest(_correlation, {"assets": None, "yen": "USDJPY", "yen_bars": 5, "yen_move": -0.03, "stress_bars": 20, "block": 20},
                             "average pairwise correlation in stress windows against calm ones, Forbes-Rigobon adjusted; placebo: shifted windows"),
    "hedged_spread": ClaimTest(_hedged_spread, {"ust": "UST10Y", "jgb": "JGB10Y", "recent_bars": 60},
                               "FX-hedged yield pickup: its recent mean with HAC errors, its sign today and since when"),
    "tic_holdings": ClaimTest(_tic_holdings, {"symbol": "TIC_JAPAN_UST", "months": 12, "release_lag_days": 50, "check_month": "", "check_value": 0.0},
                              "TIC holdings: 12-month change to the latest figure, t-test of the monthly changes"),
    "spillover": ClaimTest(_spillover, {"y": "UST30Y", "x": "JGB30Y"}, "regression of daily yield changes, market closing first as regressor, HAC errors"),
    "lead_lag": ClaimTest(_lead_lag, {"leader": "NIKKEI225", "asset": None, "oos_start": 750},
                          "predictive regression on the Tokyo day, HAC errors, out-of-sample R²"),
    "unavailable": ClaimTest(None, {}, "no test: the data it needs are not in the package"),
}  # fmt: skip
