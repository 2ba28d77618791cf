"""Statistics over many backtests at once, and the ones that guard against luck.

Families:

* :func:`return_metrics`: the return metrics of :func:`jpmacro_bt.engine.metrics.compute_metrics`
  for every column of a bars x N array at once;
* :func:`probabilistic_sharpe`, :func:`expected_max_sharpe`, :func:`deflated_sharpe`:
  is the best Sharpe ratio of N trials better than luck (Bailey and López de Prado 2014);
* :func:`block_stats`, :func:`cscv`, :func:`pbo`: the probability of backtest
  overfitting by combinatorially symmetric cross-validation (Bailey, Borwein,
  López de Prado and Zhu 2015);
* :func:`bootstrap`: confidence intervals for Sharpe and CAGR by a circular block bootstrap;
* :func:`too_few_trades`: the warning when a result rests on too few trades.

Sharpe ratios here are per bar unless a name says ``annual``; an annualised
one is the per-bar one times ``sqrt(periods)``. Everything is numpy; nothing
imports quantstats (only :mod:`jpmacro_bt.engine.metrics` and
:mod:`jpmacro_bt.reports.tearsheet` do).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = [
    "EULER_GAMMA",
    "MIN_TRADES",
    "METRIC_NAMES",
    "Bootstrap",
    "DeflatedSharpe",
    "PBO",
    "block_stats",
    "bootstrap",
    "cscv",
    "deflated_sharpe",
    "expected_max_sharpe",
    "moments",
    "pbo",
    "pbo_from_blocks",
    "probabilistic_sharpe",
    "return_metrics",
    "too_few_trades",
]

EULER_GAMMA = 0.5772156649015329
MIN_TRADES = 30  # a rule of thumb: fewer trades than this and one or two of them decide the result
METRIC_NAMES = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility")
_NORMAL = NormalDist()


def _columns(returns: np.ndarray) -> np.ndarray:
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2:
        raise ValueError("returns must be one series or a bars x columns array")
    # Each column contiguous: numpy then sums a column exactly as pandas sums a Series.
    r = np.asfortranarray(r)
    if not np.isfinite(r).all():
        r = np.where(np.isinf(r), np.nan, r)
    return r


def return_metrics(returns: np.ndarray, periods: int, years: float | None = None) -> dict[str, np.ndarray]:
    """The return metrics of every column, as :func:`~jpmacro_bt.engine.metrics.compute_metrics` gives them.

    For a column ``r`` of ``n`` non-missing returns (infinities count as
    missing), with ``P = periods`` bars a year and ``Y = years`` of calendar
    time from the first bar to the last:

    * ``total_return = prod(1 + r) - 1``;
    * ``cagr = (1 + total_return) ** (1 / Y) - 1`` (NaN below a total loss);
      without ``years`` (a resampled series has no dates), ``Y = n / P``;
    * ``sharpe = mean(r) / std(r, ddof=1) * sqrt(P)`` (rf = 0);
    * ``sortino = mean(r) / sqrt(sum(r[r < 0] ** 2) / n) * sqrt(P)``;
    * ``max_drawdown = min(equity / running peak) - 1``, the equity
      ``1 + (cumprod(1 + r) - 1)`` starting from a peak of 1 before the first bar;
    * ``volatility = std(r, ddof=1) * sqrt(P)``.

    As in ``compute_metrics``, a column of only zeros (no position ever held)
    has NaN Sharpe and Sortino and a drawdown of 0; NaN stands for its None.
    One deliberate difference: quantstats reads a series with no negative
    value and one of 1 or more as *prices*; here returns are always returns.

    Parameters
    ----------
    returns : bars x columns array (or one series) of simple returns.
    periods : bars a year, :func:`jpmacro_bt.engine.metrics.periods_per_year` of the bars' dates.
    years : :func:`jpmacro_bt.engine.metrics.calendar_years` of the bars' dates.
    """
    r = _columns(returns)
    missing = np.isnan(r)
    gaps = bool(missing.any())
    count = len(r) - missing.sum(axis=0) if gaps else np.full(r.shape[1], len(r))
    filled = np.where(missing, 0.0, r) if gaps else r  # Fortran order kept
    flat = ~(r != 0).any(axis=0)  # NaN counts as not zero, as in (returns == 0).all()
    root = math.sqrt(periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = 1.0 + filled
        total = np.prod(growth, axis=0) - 1.0
        span = count / periods if years is None else np.full(r.shape[1], float(years))
        wealth = total + 1.0
        # libm's pow per column, as quantstats gets for one series: numpy's vectorised pow may differ in the last bit.
        grown = np.array([math.pow(w, 1.0 / y) if y > 0 else math.nan for w, y in zip(np.abs(wealth).tolist(), span.tolist(), strict=True)])
        cagr = np.where(wealth < 0, np.nan, grown - 1.0)
        mean = filled.sum(axis=0) / count
        dev = mean - filled  # pandas' (avg - values) ** 2, missing bars left out
        if gaps:
            dev[missing] = 0.0
        np.square(dev, out=dev)
        std = np.sqrt(dev.sum(axis=0) / (count - 1))
        del dev
        sharpe = mean / std * root
        # Summed over the losses alone, column by column, as quantstats sums them: the same bits.
        losses = np.array([float(np.square(c[c < 0]).sum()) for c in filled.T])
        downside = np.sqrt(losses / count)
        sortino = np.where(downside == 0, np.nan, mean / downside) * root
        equity = np.cumprod(growth, axis=0, out=growth)
        equity -= 1.0
        equity += 1.0  # quantstats' 1 + compsum: the same rounding
        peak = np.maximum.accumulate(equity, axis=0)
        np.maximum(peak, 1.0, out=peak)
        np.divide(equity, peak, out=peak)
        drawdown = np.minimum(peak.min(axis=0), 1.0) - 1.0
        del equity, peak, growth
    sharpe = np.where(flat | ~np.isfinite(sharpe), np.nan, sharpe)
    sortino = np.where(flat | ~np.isfinite(sortino), np.nan, sortino)
    drawdown = np.where(flat, 0.0, drawdown)
    return {
        "total_return": total,
        "cagr": np.where(np.isfinite(cagr), cagr, np.nan),
        "sharpe": sharpe,
        "sortino": sortino,
        "max_drawdown": drawdown,
        "volatility": std * root,
    }


def moments(returns: np.ndarray) -> tuple[float, float, float, int]:
    """Per-bar Sharpe ratio, skewness and (non-excess) kurtosis of one return series, and its length.

    ``sharpe = mean / std(ddof=1)``; ``skew = m3 / m2 ** 1.5`` and
    ``kurtosis = m4 / m2 ** 2`` with ``m_k`` the k-th central sample moment
    (a normal distribution has skew 0 and kurtosis 3).
    """
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    n = len(r)
    if n < 3:
        return math.nan, math.nan, math.nan, n
    dev = r - r.mean()
    m2 = float(np.mean(dev**2))
    if m2 == 0:
        return math.nan, math.nan, math.nan, n
    sharpe = float(r.mean() / r.std(ddof=1))
    return sharpe, float(np.mean(dev**3) / m2**1.5), float(np.mean(dev**4) / m2**2), n


def probabilistic_sharpe(sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float) -> float:
    """Probability that the true per-bar Sharpe ratio exceeds ``benchmark`` (Bailey and López de Prado 2012).

    ``PSR = Phi((SR - SR*) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR ** 2))``
    with ``SR`` the observed per-bar Sharpe ratio over ``T = n_obs`` bars and
    ``Phi`` the standard normal distribution function.
    """
    if not all(map(math.isfinite, (sharpe, benchmark, skew, kurtosis))) or n_obs < 2:
        return math.nan
    var = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if var <= 0:
        return math.nan
    return _NORMAL.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(var))


def expected_max_sharpe(n_trials: int, variance: float, mean: float = 0.0) -> float:
    """Expected maximum of ``n_trials`` Sharpe ratios drawn with ``variance`` around ``mean`` when none has skill.

    ``E[max SR] ~= mean + sqrt(V) * ((1 - g) * Z(1 - 1/N) + g * Z(1 - 1/(N e)))``,
    ``g`` the Euler-Mascheroni constant and ``Z`` the standard normal
    quantile (Bailey and López de Prado 2014, eq. 6 via the False Strategy
    Theorem). One trial selects nothing: the result is ``mean``.
    """
    if n_trials <= 1 or not math.isfinite(variance):
        return mean
    z1 = _NORMAL.inv_cdf(1.0 - 1.0 / n_trials)
    z2 = _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return mean + math.sqrt(max(variance, 0.0)) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of a best-of-N result.

    Attributes
    ----------
    dsr : probability that the true Sharpe ratio is above zero, given the selection among ``n_trials``.
    sharpe : observed Sharpe ratio, per bar.
    threshold : ``SR0``, the per-bar Sharpe ratio the best of ``n_trials`` skill-less trials would reach.
    n_trials, n_obs, skew, kurtosis, variance : the inputs.
    """

    dsr: float
    sharpe: float
    threshold: float
    n_trials: int
    n_obs: int
    skew: float
    kurtosis: float
    variance: float


def deflated_sharpe(sharpe: float, n_obs: int, skew: float, kurtosis: float, n_trials: int, variance: float) -> DeflatedSharpe:
    """Deflated Sharpe ratio (Bailey and López de Prado, "The Deflated Sharpe Ratio", 2014).

    ``DSR = PSR(SR0)`` with ``SR0 = expected_max_sharpe(N, V)``: the
    probabilistic Sharpe ratio of the observed per-bar ``sharpe`` against the
    Sharpe ratio that the best of ``N = n_trials`` skill-less trials would
    show, ``V`` being the variance of the per-bar Sharpe ratios across the trials.

    Parameters
    ----------
    sharpe : per-bar Sharpe ratio of the selected result.
    n_obs : bars it was measured on (``T``).
    skew, kurtosis : of its returns (kurtosis not excess: 3 for a normal).
    n_trials : trials the result was selected from.
    variance : variance of the trials' per-bar Sharpe ratios.
    """
    sr0 = expected_max_sharpe(n_trials, variance)
    return DeflatedSharpe(probabilistic_sharpe(sharpe, sr0, n_obs, skew, kurtosis), sharpe, sr0, n_trials, n_obs, skew, kurtosis, variance)


# --- probability of backtest overfitting ---------------------------------------

_BLOCK_FIELDS = ("count", "sum", "sumsq", "negsq", "log1p")


def block_stats(returns: np.ndarray, blocks: np.ndarray, n_blocks: int) -> np.ndarray:
    """Sums per time block from which CSCV rebuilds any block union's metric without the returns.

    Parameters
    ----------
    returns : bars x columns.
    blocks : block of each bar, ``0 .. n_blocks - 1``, or -1 for a bar left out.

    Returns
    -------
    array of shape (5, n_blocks, columns): bar count, sum, sum of squares,
    sum of squared losses and sum of ``log1p`` per block (missing returns left out).
    """
    r = _columns(returns)
    out = np.zeros((len(_BLOCK_FIELDS), n_blocks, r.shape[1]))
    valid = ~np.isnan(r)
    filled = np.where(valid, r, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(valid, np.log1p(filled), 0.0)
    for b in range(n_blocks):
        rows = blocks == b
        # Column-contiguous, so a column's sums do not depend on how many columns come with it.
        x = np.asfortranarray(filled[rows])
        out[0, b] = valid[rows].sum(axis=0)
        out[1, b] = x.sum(axis=0)
        out[2, b] = np.asfortranarray(x * x).sum(axis=0)
        out[3, b] = np.asfortranarray(np.where(x < 0, x * x, 0.0)).sum(axis=0)
        out[4, b] = np.asfortranarray(logs[rows]).sum(axis=0)
    return out


def _metric_from_sums(sums: np.ndarray, metric: str, periods: int) -> np.ndarray:
    """A metric from summed block statistics (``sums[k]`` of shape splits x columns)."""
    count, total, sumsq, negsq, logs = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / count
        if metric == "sharpe":
            var = (sumsq - total * mean) / (count - 1)
            value = mean / np.sqrt(np.where(var > 0, var, np.nan)) * math.sqrt(periods)
        elif metric == "sortino":
            down = np.sqrt(negsq / count)
            value = mean / np.where(down > 0, down, np.nan) * math.sqrt(periods)
        elif metric == "total_return":
            value = np.expm1(logs)
        elif metric == "cagr":
            value = np.expm1(logs * periods / count)
        else:
            raise ValueError(f"CSCV cannot rebuild {metric!r} from block sums; use sharpe, sortino, cagr or total_return")
    # Nothing held in those blocks: performance zero, as for cash.
    return np.where(np.isfinite(value), value, 0.0)


def _splits(n_blocks: int) -> np.ndarray:
    if n_blocks < 2 or n_blocks % 2:
        raise ValueError(f"CSCV needs an even number of blocks >= 2, got {n_blocks}")
    chosen = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)))
    member = np.zeros((len(chosen), n_blocks))
    member[np.arange(len(chosen))[:, None], chosen] = 1.0
    return member


def _cscv_batches(stats: np.ndarray, metric: str, periods: int, memory: int, *, halves: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(in_sample, out_of_sample) metrics for consecutive batches of CSCV splits, each batch about ``memory`` bytes.

    With ``halves`` only the splits whose in-sample half holds block 0 are
    computed: each other split is one of these with the halves swapped.
    """
    n_fields, n_blocks, n = stats.shape
    member = _splits(n_blocks)
    if halves:
        member = member[member[:, 0] == 1]
    # One matrix product sums the in-sample blocks of every split; the out-of-sample sums are the rest.
    by_block = np.ascontiguousarray(stats.transpose(1, 0, 2)).reshape(n_blocks, n_fields * n)
    totals = by_block.sum(axis=0)
    batch = max(1, min(len(member), int(memory // (8 * n_fields * n * 4))))
    for lo in range(0, len(member), batch):
        ins = member[lo : lo + batch] @ by_block
        outs = totals - ins
        shape = (len(ins), n_fields, n)
        yield (
            _metric_from_sums(ins.reshape(shape).transpose(1, 0, 2), metric, periods),
            _metric_from_sums(outs.reshape(shape).transpose(1, 0, 2), metric, periods),
        )


def cscv(stats: np.ndarray, metric: str = "sharpe", periods: int = 252) -> tuple[np.ndarray, np.ndarray]:
    """In- and out-of-sample performance of every column in every CSCV split.

    The ``S`` time blocks of :func:`block_stats` are split every way into
    ``S/2`` in-sample blocks ``J`` and the ``S/2`` others ``J-bar`` (``C(S, S/2)``
    splits, in ``itertools.combinations`` order); each column's metric is
    computed on the union of the bars of ``J`` and of ``J-bar``. A column with
    no defined metric on a union (nothing held there) scores 0, as cash.

    Returns
    -------
    (in_sample, out_of_sample), each of shape splits x columns. For many
    columns use :func:`pbo_from_blocks`, which never holds them whole.
    """
    parts = list(_cscv_batches(stats, metric, periods, memory=2**62))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@dataclass(frozen=True)
class PBO:
    """Probability of backtest overfitting and what it rests on.

    Attributes
    ----------
    pbo : share of splits whose in-sample best ranks at or below the median out of sample (logit <= 0).
    logits : ``ln(w / (1 - w))`` per split, ``w`` the out-of-sample relative rank of the in-sample best.
    is_best, oos_of_best : in-sample performance of the in-sample best, and its out-of-sample performance, per split.
    prob_oos_loss : share of splits where the in-sample best has out-of-sample performance below zero.
    n_splits, n_columns : the size of the problem.
    """

    pbo: float
    logits: np.ndarray
    is_best: np.ndarray
    oos_of_best: np.ndarray
    prob_oos_loss: float
    n_splits: int
    n_columns: int


def _choose(ins: np.ndarray, outs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per split: the in-sample best's in-sample value, its out-of-sample value and the logit of its out-of-sample rank."""
    n_splits, n = ins.shape
    best = np.argmax(ins, axis=1)
    rows = np.arange(n_splits)
    chosen = outs[rows, best]
    below = (outs < chosen[:, None]).sum(axis=1)
    ties = (outs == chosen[:, None]).sum(axis=1)
    w = (below + (ties + 1) / 2.0) / (n + 1)
    return ins[rows, best], chosen, np.log(w / (1 - w))


def _pbo(is_best: np.ndarray, oos_of_best: np.ndarray, logits: np.ndarray, n: int) -> PBO:
    return PBO(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        is_best=is_best,
        oos_of_best=oos_of_best,
        prob_oos_loss=float(np.mean(oos_of_best < 0)),
        n_splits=len(logits),
        n_columns=n,
    )


def pbo(in_sample: np.ndarray, out_of_sample: np.ndarray) -> PBO:
    """PBO from the performance of N configurations over CSCV splits (Bailey, Borwein, López de Prado, Zhu 2015).

    For each split ``c``: ``n* = argmax(in_sample[c])`` (the first on ties);
    its out-of-sample rank ``r`` among the N out-of-sample values (1 = worst,
    ties sharing their average rank); ``w = r / (N + 1)``;
    ``logit = ln(w / (1 - w))``. ``PBO = #{c : logit_c <= 0} / #splits``: the
    frequency with which the configuration chosen in sample is no better than
    the median out of sample.
    """
    ins = np.asarray(in_sample, dtype=np.float64)
    outs = np.asarray(out_of_sample, dtype=np.float64)
    if ins.shape != outs.shape or ins.ndim != 2:
        raise ValueError("in_sample and out_of_sample must both be splits x configurations")
    return _pbo(*_choose(ins, outs), ins.shape[1])


def pbo_from_blocks(stats: np.ndarray, metric: str = "sharpe", periods: int = 252, *, memory: int = 96 * 2**20) -> PBO:
    """:func:`pbo` of :func:`cscv`, computed batch by batch so that each batch's arrays take about ``memory`` bytes.

    Each split's metrics serve twice, once for the split and once, swapped,
    for its complement; the splits come in that order (not ``cscv``'s).
    """
    parts = []
    for ins, outs in _cscv_batches(stats, metric, periods, memory, halves=True):
        parts.append(_choose(ins, outs))
        parts.append(_choose(outs, ins))
    return _pbo(*(np.concatenate([p[k] for p in parts]) for k in range(3)), stats.shape[2])


# --- bootstrap -----------------------------------------------------------------


@dataclass(frozen=True)
class Bootstrap:
    """Percentile confidence intervals from a circular block bootstrap.

    Attributes
    ----------
    sharpe, cagr : (low, high) annualised, at ``level``.
    level : e.g. 0.95.
    samples : resamples drawn; ``undefined`` of them had no Sharpe ratio (only zeros).
    block : bars per resampled block.
    """

    sharpe: tuple[float, float]
    cagr: tuple[float, float]
    level: float
    samples: int
    undefined: int
    block: int


def bootstrap(
    returns: np.ndarray, periods: int, *, years: float | None = None, samples: int = 1000, block: int = 21, level: float = 0.95, seed: int = 0
) -> Bootstrap:
    """Confidence intervals for the annualised Sharpe ratio and CAGR of one return series.

    Circular block bootstrap: each resample is ``ceil(T / block)`` blocks of
    ``block`` consecutive bars starting at uniform random bars (wrapping past
    the end), cut to ``T`` bars; blocks keep the serial dependence of positions
    held for days (the default, 21 bars, is about a trading month). The
    interval is the ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of
    the resampled metrics (:func:`return_metrics`; each resample spans the
    original's ``years``, when given, as its CAGR's calendar time). Seeded: the
    same input gives the same interval.
    """
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    t = len(r)
    if t < 2 or samples < 1:
        nan2 = (math.nan, math.nan)
        return Bootstrap(nan2, nan2, level, samples, samples, block)
    block = max(1, min(int(block), t))
    rng = np.random.default_rng(seed)
    n_blocks = -(-t // block)
    starts = rng.integers(0, t, size=(samples, n_blocks))
    idx = ((starts[:, :, None] + np.arange(block)) % t).reshape(samples, -1)[:, :t]
    m = return_metrics(r[idx].T, periods, years)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]

    def interval(x: np.ndarray) -> tuple[float, float]:
        x = x[np.isfinite(x)]
        if not len(x):
            return (math.nan, math.nan)
        lo, hi = np.percentile(x, q)
        return (float(lo), float(hi))

    return Bootstrap(interval(m["sharpe"]), interval(m["cagr"]), level, samples, int(np.isnan(m["sharpe"]).sum()), block)


def too_few_trades(trades: int, what: str = "this result") -> str | None:
    """A warning when ``trades`` positions are too few to tell skill from luck, else None."""
    if trades >= MIN_TRADES:
        return None
    return (
        f"{what} rests on {trades} trade{'s' if trades != 1 else ''}: fewer than {MIN_TRADES} say little about skill; "
        "read its trades one by one, not its Sharpe ratio"
    )
