"""Vectorised metrics equal quantstats'; deflated Sharpe and PBO against the papers and hand computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.engine.metrics import calendar_years, compute_metrics, periods_per_year
from jpmacro_bt.engine.simulate import backtest_many
from jpmacro_bt.research.stats import (
    block_stats,
    bootstrap,
    cscv,
    deflated_sharpe,
    expected_max_sharpe,
    moments,
    pbo,
    pbo_from_blocks,
    probabilistic_sharpe,
    return_metrics,
    too_few_trades,
)
from jpmacro_bt.strategy import Signals, hold_for

from .conftest import make_market

IDX = pd.bdate_range("2016-01-01", periods=600)


def _columns() -> pd.DataFrame:
    """Named cases: real backtest returns and the edge cases of a return series."""
    data = make_market(["USDJPY"], start="2016-01-01", end="2018-12-31")
    close = data.close("USDJPY")
    sigs = []
    for bars, hold in ((3, 5), (10, 20)):
        fired = close / close.shift(bars) - 1 < -0.01
        entries, exits = hold_for(fired, hold)
        sigs.append(Signals(close=close, short_entries=entries, short_exits=exits))
    real = backtest_many(sigs, init_cash=1e5, size=1.0, fees=0.0002, slippage=0.0001).returns
    rng = np.random.default_rng(7)
    n = len(real)
    first_loss = rng.normal(0.0004, 0.01, n)
    first_loss[0] = -0.03
    gap = rng.normal(0.0, 0.01, n)
    gap[100:110] = np.nan
    return pd.DataFrame(
        {
            "events_3_5": real[0].to_numpy(),
            "events_10_20": real[1].to_numpy(),
            "first_bar_loss": first_loss,
            "nan_gap": gap,
            "flat": np.zeros(n),
            "only_losses": -np.abs(rng.normal(0, 0.005, n)),
            "rare_trades": np.where(rng.random(n) < 0.03, rng.normal(0.001, 0.02, n), 0.0),
        },
        index=real.index,
    )


def test_vectorised_metrics_equal_compute_metrics_exactly():
    frame = _columns()
    mine = return_metrics(frame.to_numpy(), periods_per_year(frame.index), calendar_years(frame.index))
    for j, name in enumerate(frame.columns):
        theirs = compute_metrics(frame[name])
        for key, value in theirs.items():
            got = float(mine[key][j])
            assert (value is None and math.isnan(got)) or got == value, (name, key, value, got)


def _growing(index: pd.DatetimeIndex, rate: float) -> pd.Series:
    """Returns of a wealth growing ``rate`` a year in calendar time, flat (0) on the first bar."""
    years = np.asarray((index - index[0]).days) / 365.25
    return pd.Series((1 + rate) ** years, index=index).pct_change().fillna(0.0)


@pytest.mark.parametrize("freq", ["B", "D", "W-FRI"])
def test_cagr_is_growth_over_calendar_time_whatever_the_calendar(freq):
    # 10 % a year in calendar time reads 10 % whether there are 261, 365 or 52 bars a year. Counting
    # 252 bars a year instead read 9.64 %, 9.99 % and 58.3 % here.
    index = pd.date_range("2016-01-04", "2025-12-31", freq=freq)
    r = _growing(index, 0.10)
    assert compute_metrics(r)["cagr"] == pytest.approx(0.10, rel=1e-12)
    assert return_metrics(r.to_numpy(), periods_per_year(index), calendar_years(index))["cagr"][0] == compute_metrics(r)["cagr"]


def test_bars_a_year_are_measured_from_a_year_or_more_of_dates():
    # By hand: 2016-01-04 .. 2025-12-31 is 3649 days = 9.9904 years of 365.25 days.
    weekdays = pd.bdate_range("2016-01-04", "2025-12-31")  # 2608 bars: 2607 / 9.9904 = 260.95
    assert calendar_years(weekdays) == pytest.approx(3649 / 365.25) and periods_per_year(weekdays) == 261
    daily = pd.date_range("2016-01-04", "2025-12-31")  # 3650 bars: 3649 / 9.9904 = 365.25
    assert periods_per_year(daily) == 365
    holidays = weekdays[weekdays.day_of_year % 20 != 0]  # about one weekday in twenty shut: 2478 bars, 247.9 a year
    assert periods_per_year(holidays) == round((len(holidays) - 1) / (3649 / 365.25)) == 248
    # Shorter than a year: 252 for weekdays, 365 with weekend bars.
    assert periods_per_year(weekdays[:200]) == 252 and periods_per_year(daily[:200]) == 365


def test_metrics_are_column_independent():
    frame = _columns()
    whole = return_metrics(frame.to_numpy(), 252)
    for j in range(frame.shape[1]):
        alone = return_metrics(frame.iloc[:, j].to_numpy(), 252)
        for key in whole:
            assert np.array_equal(whole[key][j : j + 1], alone[key], equal_nan=True)


def test_metrics_leave_input_unchanged_and_shift_up_raises_cagr():
    frame = _columns()
    before = frame.copy()
    base = return_metrics(frame.to_numpy(), 252)
    pd.testing.assert_frame_equal(frame, before)
    up = return_metrics(frame.to_numpy() + 0.001, 252)
    ok = np.isfinite(base["cagr"])
    assert (up["cagr"][ok] > base["cagr"][ok]).all()


def test_deflated_sharpe_reproduces_the_papers_worked_example():
    # Bailey and López de Prado (2014), "The Deflated Sharpe Ratio", numerical example: N = 100 trials,
    # T = 1250 daily returns, annualised SR 2.5 (250 days a year), annualised variance of the trials' SRs
    # 0.5, skewness -3, kurtosis 10. The paper finds SR0 = 0.1132 (daily) and DSR = 0.9004.
    d = deflated_sharpe(2.5 / math.sqrt(250), 1250, -3.0, 10.0, 100, 0.5 / 250)
    assert d.threshold == pytest.approx(0.1132, abs=5e-5)
    assert d.dsr == pytest.approx(0.9004, abs=5e-5)


def test_expected_max_sharpe_by_hand():
    # N = 10, V = 1: (1 - g) Z(0.9) + g Z(1 - 1/(10 e)) = 0.42278 * 1.28155 + 0.57722 * Z(0.963212); from a normal
    # table Phi(1.78) = 0.96246 and Phi(1.79) = 0.96327, so Z(0.963212) = 1.7893 and the sum is 1.5746.
    assert expected_max_sharpe(10, 1.0) == pytest.approx(1.5746, abs=5e-4)
    assert expected_max_sharpe(1, 4.0, mean=0.2) == 0.2  # one trial selects nothing
    assert expected_max_sharpe(1000, 0.01) > expected_max_sharpe(10, 0.01) > 0  # more trials, more luck


def test_probabilistic_sharpe_by_hand():
    # Normal returns (skew 0, kurtosis 3): PSR = Phi((0.1 - 0) * sqrt(99) / sqrt(1 + 0.5 * 0.01)) = Phi(0.99247) = 0.83952.
    assert probabilistic_sharpe(0.1, 0.0, 100, 0.0, 3.0) == pytest.approx(0.83952, abs=1e-5)
    assert probabilistic_sharpe(0.1, 0.1, 100, 0.0, 3.0) == 0.5


def test_moments_by_hand():
    r = np.array([0.01, -0.02, 0.03, 0.0, 0.02])
    sr, skew, kurt, n = moments(r)
    dev = r - r.mean()
    m2, m3, m4 = (dev**2).mean(), (dev**3).mean(), (dev**4).mean()
    assert (sr, skew, kurt, n) == (pytest.approx(r.mean() / r.std(ddof=1)), pytest.approx(m3 / m2**1.5), pytest.approx(m4 / m2**2), 5)


def test_pbo_by_hand():
    # Two configurations, two splits. Split 1: in-sample best is #2 (2 > 1); out of sample it has 1 against 5:
    # rank 1 of 2, w = 1/3, logit ln(1/2) < 0. Split 2: best is #1 (3 > 1), out of sample 0 against 4: again
    # the worst. Both splits overfit: PBO = 1.
    assert pbo([[1, 2], [3, 1]], [[5, 1], [0, 4]]).pbo == 1.0
    # The same configuration wins in and out of sample: rank 2 of 2, w = 2/3, logit ln 2 > 0: PBO = 0.
    dominant = pbo([[2, 1], [3, 1]], [[4, 1], [5, 0]])
    assert dominant.pbo == 0.0 and dominant.logits == pytest.approx([math.log(2), math.log(2)])
    # Three configurations with a tie. Split 1: best in sample #2; out of sample values (2, 2, 1): one below,
    # two tied, so rank 1 + (2 + 1) / 2 = 2.5, w = 2.5 / 4, logit ln(5/3) = 0.5108. Split 2: best #3, whose
    # out-of-sample 1 is the lowest of (3, 2, 1): rank 1, w = 1/4, logit ln(1/3). PBO = 1/2.
    mixed = pbo([[1, 3, 2], [0, 1, 5]], [[2, 2, 1], [3, 2, 1]])
    assert mixed.logits == pytest.approx([math.log(5 / 3), math.log(1 / 3)])
    assert mixed.pbo == 0.5 and mixed.prob_oos_loss == 0.0 and mixed.n_splits == 2


def _sharpe(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=0) / x.std(axis=0, ddof=1) * math.sqrt(252)


def test_cscv_equals_brute_force_concatenation():
    rng = np.random.default_rng(11)
    returns = rng.normal(0.0002, 0.01, size=(403, 7))  # 403 % 4 = 3 bars left out at the start
    n_blocks = 4
    sub = len(returns) // n_blocks
    first = len(returns) - sub * n_blocks
    blocks = np.full(len(returns), -1)
    blocks[first:] = np.repeat(np.arange(n_blocks), sub)
    ins, outs = cscv(block_stats(returns, blocks, n_blocks), "sharpe", 252)
    for k, chosen in enumerate(itertools.combinations(range(n_blocks), n_blocks // 2)):
        rows_in = np.isin(blocks, chosen)
        rows_out = (blocks >= 0) & ~rows_in
        assert ins[k] == pytest.approx(_sharpe(returns[rows_in]), rel=1e-9)
        assert outs[k] == pytest.approx(_sharpe(returns[rows_out]), rel=1e-9)
    total_in, _ = cscv(block_stats(returns, blocks, n_blocks), "total_return", 252)
    assert total_in[0] == pytest.approx(np.prod(1 + returns[np.isin(blocks, (0, 1))], axis=0) - 1, rel=1e-9)


def test_pbo_of_skill_is_zero_and_of_noise_is_middling():
    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 0.01, size=(1600, 40))
    blocks = np.repeat(np.arange(8), 200)
    noisy = pbo(*cscv(block_stats(noise, blocks, 8)))
    assert noisy.n_splits == 70 and 0.2 < noisy.pbo < 0.8
    skilled = noise.copy()
    skilled[:, 0] += 0.004  # Sharpe about 6: best in every half, in and out of sample
    assert pbo(*cscv(block_stats(skilled, blocks, 8))).pbo == 0.0
    # Batch by batch (three splits a batch here) gives the same answer as the whole matrices.
    streamed = pbo_from_blocks(block_stats(noise, blocks, 8), memory=3 * 8 * 5 * 40 * 4)
    assert streamed.pbo == noisy.pbo and np.sort(streamed.logits) == pytest.approx(np.sort(noisy.logits), rel=1e-9)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(2)
    r = rng.normal(0.001, 0.01, 1000)
    a = bootstrap(r, 252, samples=400, seed=1)
    assert a == bootstrap(r, 252, samples=400, seed=1)
    point = return_metrics(r, 252)
    assert a.sharpe[0] < point["sharpe"][0] < a.sharpe[1] and a.cagr[0] < point["cagr"][0] < a.cagr[1]
    # Over calendar time: the same resamples spread over twice the years grow at about half the rate.
    dated = bootstrap(r, 252, years=2 * len(r) / 252, samples=400, seed=1)
    assert dated.sharpe == a.sharpe and dated.cagr[1] == pytest.approx(math.sqrt(1 + a.cagr[1]) - 1)
    assert a.samples == 400 and a.undefined == 0 and a.block == 21
    flat = bootstrap(np.zeros(300), 252, samples=50)
    assert math.isnan(flat.sharpe[0]) and flat.undefined == 50


def test_too_few_trades():
    assert too_few_trades(30) is None
    assert too_few_trades(5, "the best combination") == (
        "the best combination rests on 5 trades: fewer than 30 say little about skill; read its trades one by one, not its Sharpe ratio"
    )


def test_block_stats_leave_out_unassigned_bars():
    r = np.array([[0.01], [-0.02], [0.03], [np.nan], [0.05]])
    s = block_stats(r, np.array([-1, 0, 0, 1, 1]), 2)
    assert s[:, 0, 0] == pytest.approx([2, 0.01, 0.0013, 0.0004, math.log(0.98) + math.log(1.03)])
    assert s[:, 1, 0] == pytest.approx([1, 0.05, 0.0025, 0.0, math.log(1.05)])

