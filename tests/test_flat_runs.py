"""A run that never trades is an answer, not a crash: its report says the equity stayed flat."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.engine.portfolio import check_weights
from jpmacro_bt.errors import StrategyError


def test_a_period_without_a_hike_writes_a_flat_report(tmp_path):
    # The BoJ made no hike in 2017-2018 (the bundled calendar's sources), so the strategy never trades.
    result = CliRunner().invoke(app, ["run", "boj_hike_long_jpy", "--start", "2017-01-01", "--end", "2018-12-31", "--reports-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "no trade from 2017-01-02 to 2018-12-31" in result.output
    (folder,) = tmp_path.iterdir()
    metrics = json.loads((folder / "metrics.json").read_text())["strategy"]
    assert metrics["trades"] == 0 and metrics["total_return"] == 0.0 and metrics["sharpe"] is None
    page = (folder / "tearsheet.html").read_text(encoding="utf-8")
    assert "No position was held from 2017-01-02 to 2018-12-31" in page and "No trade in this period" in page
    assert (folder / "trades.csv").read_text().strip().count("\n") == 0  # the header only


@pytest.mark.parametrize("weights", [(float("nan"), 0.5), (float("inf"), 0.5), (0.0, 1.0), (-0.5, 1.5), (2.0, 2.0)])
def test_weights_that_cannot_hold_a_portfolio_are_refused(weights):
    with pytest.raises(StrategyError, match="--weights"):
        check_weights(weights, 2)


def test_nan_weights_on_the_command_line_are_one_line(tmp_path):
    result = CliRunner().invoke(app, ["run", "boj_hike_long_jpy", "yen_carry_unwind_filter", "--weights", "nan,nan", "--reports-dir", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "StrategyError: --weights nan,nan: every weight must be a positive number" in result.output
    assert list(tmp_path.iterdir()) == []
