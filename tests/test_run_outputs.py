"""Run folders: deterministic, complete or absent, and metrics that match their returns."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.reports import tearsheet as report
from jpmacro_bt.engine.run import RunSettings, run_strategy
from jpmacro_bt.reports.runfolder import save_run, write_run
from jpmacro_bt.catalog import find

SETTINGS = RunSettings(start=date(2016, 1, 1), end=date(2025, 12, 31))


SPOT = {"carry": "false"}  # USDJPY at the ECB fix itself, so prices and returns can be checked by hand


@pytest.fixture(scope="module")
def result():
    spec = find("boj_hike_long_jpy")
    return run_strategy(spec, spec.build(SPOT), SETTINGS)


def test_same_command_same_bytes(tmp_path, result):
    spec = find("boj_hike_long_jpy")
    again = run_strategy(spec, spec.build(SPOT), SETTINGS)
    a = write_run(result, tmp_path / "a", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    b = write_run(again, tmp_path / "b", now=datetime(2026, 1, 2, tzinfo=timezone.utc))
    for name in ("metrics.json", "returns.csv", "trades.csv", "tearsheet.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_metrics_match_an_independent_computation(tmp_path, result):
    folder = write_run(result, tmp_path, tearsheet=False)
    metrics = json.loads((folder / "metrics.json").read_text())["strategy"]
    returns = pd.read_csv(folder / "returns.csv", index_col="date", parse_dates=["date"])["strategy"]
    r = returns.to_numpy()
    equity = np.cumprod(1 + r)
    total = equity[-1] - 1
    years = (returns.index[-1] - returns.index[0]).days / 365.25  # CAGR runs on calendar time, first close to last
    assert metrics["total_return"] == pytest.approx(total, rel=1e-9)
    assert metrics["cagr"] == pytest.approx((1 + total) ** (1 / years) - 1, rel=1e-9)
    per_year = round((len(r) - 1) / years)  # bars a year on the data's own calendar
    assert metrics["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(per_year), rel=1e-9)
    assert metrics["volatility"] == pytest.approx(r.std(ddof=1) * np.sqrt(per_year), rel=1e-9)
    peak = np.maximum.accumulate(np.r_[1.0, equity])
    assert metrics["max_drawdown"] == pytest.approx((np.r_[1.0, equity] / peak - 1).min(), rel=1e-9)
    trades = pd.read_csv(folder / "trades.csv")
    # 2016-2025 holds four BoJ hikes: 2024-03, 2024-07, 2025-01, 2025-12.
    assert metrics["trades"] == len(trades) == 4
    # The December 2025 trade is still open at the 2025-12-31 end: win rate counts closed trades.
    closed = trades[trades["status"] == "closed"]
    assert len(closed) == 3
    assert metrics["win_rate"] == pytest.approx((closed["pnl"] > 0).mean())


def test_first_trade_is_the_march_2024_hike_at_the_ecb_fix(result):
    first = result.backtest.trades.iloc[0]
    assert (first.direction, first.entry_date) == ("short", "2024-03-19")
    # Entered at that day's ECB USDJPY (JPY 163.37 / USD 1.0854, the ECB's 2024-03-19 rates)
    # less the FX default slippage of 0.5 bp.
    assert first.entry_price == pytest.approx(163.37 / 1.0854 * (1 - 0.00005), rel=1e-9)


def test_interrupted_write_leaves_nothing(tmp_path, result, monkeypatch):
    def boom(path, *args, **kwargs):
        path.write_text("<html>half")
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_tearsheet", boom)
    with pytest.raises(KeyboardInterrupt):
        write_run(result, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_benchmark_is_holding_yen(result):
    # Long JPY from a dollar account: the return of 1 / USDJPY.
    usdjpy = result.data.close("USDJPY").loc[result.returns.index]
    expected = (usdjpy.shift(1) / usdjpy - 1).fillna(0.0)
    np.testing.assert_allclose(result.returns["benchmark"].to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-15)


def test_a_price_at_or_below_zero_is_refused():
    # WTI settled at -37.63 on 2020-04-20: such a close cannot be traded as a price.
    from jpmacro_bt.errors import DataError

    from .conftest import market_from

    idx = pd.bdate_range("2020-04-15", periods=6)
    close = pd.Series([19.87, 20.37, 18.27, -37.63, 10.01, 13.78], index=idx)
    spec = find("boj_hike_long_jpy")
    with pytest.raises(DataError, match="USDJPY closes at -37.63 on 2020-04-20: a traded price must be positive"):
        run_strategy(spec, spec.build(SPOT), RunSettings(start=date(2020, 4, 15)), data=market_from({"USDJPY": close}))


def test_runs_are_counted_as_trials_in_the_ledger(tmp_path, result):
    from jpmacro_bt.research.ledger import trial_count

    assert trial_count("boj_hike_long_jpy") == 0  # each test has its own cache, so its own ledger
    write_run(result, tmp_path / "w", tearsheet=False)
    assert trial_count("boj_hike_long_jpy") == 0  # writing a folder is not a trial; saving a run is
    save_run(result, tmp_path / "a", tearsheet=False)
    save_run(result, tmp_path / "b", tearsheet=False)
    assert trial_count("boj_hike_long_jpy") == 1  # the same configuration twice is one trial
    spec = find("boj_hike_long_jpy")
    other = run_strategy(spec, spec.build({**SPOT, "hold_days": "5"}), SETTINGS)
    save_run(other, tmp_path / "c", tearsheet=False)
    assert trial_count("boj_hike_long_jpy") == 2
