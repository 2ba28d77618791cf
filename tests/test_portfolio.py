"""Portfolios of strategies: weights, common period, calendars."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from jpmacro_bt.errors import DataError, StrategyError
from jpmacro_bt.engine.portfolio import combine, parse_weights

TRADES = pd.DataFrame({"entry_date": ["2024-01-03"], "pnl": [1.0], "status": ["closed"]})


def _member(label, dates, strat, bench):
    idx = pd.DatetimeIndex(dates, name="date")
    returns = pd.DataFrame({"strategy": strat, "benchmark": bench}, index=idx)
    exposure = pd.Series([r != 0 for r in strat], index=idx)
    return SimpleNamespace(label=label, returns=returns, trades=TRADES, warnings=(), backtest=SimpleNamespace(exposure=exposure))


def test_weights_apply_daily_over_the_common_period():
    # A trades Mon-Thu; B trades Tue-Fri and is closed on Wednesday (a holiday on its market).
    a = _member("a", ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], [0.0, 0.01, 0.02, -0.01], [0.0, 0.0, 0.0, 0.0])
    b = _member("b", ["2024-01-02", "2024-01-04", "2024-01-05"], [0.0, 0.04, 0.01], [0.0, 0.01, 0.01])
    p = combine([a, b], (0.5, 0.25))
    # Common period: Tue 2nd .. Thu 4th. Tue starts the portfolio (0). Wed: 0.5 * 0.02 (B closed: 0).
    # Thu: 0.5 * -0.01 + 0.25 * 0.04 = 0.005.
    assert p.returns.index.strftime("%d").tolist() == ["02", "03", "04"]
    assert p.returns["strategy"].tolist() == pytest.approx([0.0, 0.01, 0.005])
    assert p.returns["benchmark"].tolist() == pytest.approx([0.0, 0.0, 0.0025])
    assert p.metrics["strategy"]["total_return"] == pytest.approx(1.01 * 1.005 - 1)
    assert set(p.trades["strategy"]) == {"a", "b"}


def test_members_without_a_common_period_are_refused():
    a = _member("a", ["2024-01-01", "2024-01-02"], [0.0, 0.01], [0.0, 0.0])
    b = _member("b", ["2024-02-01", "2024-02-02"], [0.0, 0.01], [0.0, 0.0])
    with pytest.raises(DataError, match="the strategies share no period"):
        combine([a, b], (0.5, 0.5))


@pytest.mark.parametrize(("text", "message"), [
    ("0.5,x", "is not a list of numbers"),
    ("0.5", "has 1 values for 2 strategies"),
    ("0.5,-0.1", "every weight must be a positive number"),
    ("2,2", "more than 3x leverage"),
])
def test_bad_weights_are_named(text, message):
    with pytest.raises(StrategyError, match=message):
        parse_weights(text, 2)


def test_default_weights_are_equal():
    assert parse_weights(None, 4) == (0.25, 0.25, 0.25, 0.25)


def test_portfolio_cagr_runs_on_calendar_time():
    # The common period is Tue 2 .. Thu 4 Jan 2024: two calendar days, 2 / 365.25 years, whatever the bar count.
    a = _member("a", ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], [0.0, 0.01, 0.02, -0.01], [0.0, 0.0, 0.0, 0.0])
    b = _member("b", ["2024-01-02", "2024-01-04", "2024-01-05"], [0.0, 0.04, 0.01], [0.0, 0.01, 0.01])
    p = combine([a, b], (0.5, 0.25))
    total = 1.01 * 1.005 - 1
    assert p.metrics["strategy"]["cagr"] == pytest.approx((1 + total) ** (365.25 / 2) - 1, rel=1e-12)
