"""The trial ledger: append-only, safe with concurrent writers, counting distinct trials across runs and sweeps."""

from __future__ import annotations

import math
import multiprocessing
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jpmacro_bt.catalog import spec_of_class
from jpmacro_bt.cli import app
from jpmacro_bt.engine.run import RunSettings, run_strategy
from jpmacro_bt.research import ledger
from jpmacro_bt.research.grid import parse_grid
from jpmacro_bt.research.sweep import SweepOptions, run_sweep
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param

from .conftest import make_market


@dataclass(frozen=True)
class Every(Strategy):
    """Short USDJPY every `every` bars for `hold_days` bars (a test strategy defined in memory)."""

    claim = "test"
    source = "test"
    symbols = ("USDJPY",)

    every: int = param(20, min=2, max=200, help="bars between entries")
    hold_days: int = param(5, min=1, max=100, help="bars held")

    def signals(self, data, events) -> Signals:
        close = data.close("USDJPY")
        fired = pd.Series(np.arange(len(close)) % self.every == 0, index=close.index)
        entries, exits = hold_for(fired, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits)


def _trial(**kw) -> ledger.Trial:
    base = dict(strategy="s", params={"a": 1}, start="2020-01-01", end="2020-12-31", bars=260, periods_per_year=252,
                settings={"fees": 0.0}, data_digest="d", sharpe=1.0, trades=10)
    return ledger.Trial(**{**base, **kw})


def test_path_honours_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JPMACRO_CACHE_DIR", str(tmp_path / "c"))
    assert ledger.ledger_path() == tmp_path / "c" / "ledger.sqlite3"
    ledger.record([_trial()])
    assert (tmp_path / "c" / "ledger.sqlite3").is_file()


def test_a_trial_is_a_distinct_configuration():
    assert ledger.trial_count("s") == 0 and ledger.read() == [] and ledger.summary() == []
    ledger.record([_trial(), _trial(), _trial(params={"a": 2}, sharpe=0.5), _trial(sharpe=None, params={"a": 3})])
    # Twice the same configuration is one trial; one without a Sharpe ratio prices no luck.
    assert ledger.trial_count("s") == 2
    assert sorted(ledger.trial_sharpes("s").values()) == pytest.approx([0.5 / math.sqrt(252), 1 / math.sqrt(252)])
    ledger.record([_trial(data_digest="other")])  # new data: a new trial
    assert ledger.trial_count("s") == 3
    rows = ledger.read("s", limit=2)
    assert len(rows) == 2 and rows[0]["data_digest"] == "other" and rows[0]["params"] == {"a": 1}
    (row,) = ledger.summary()
    assert (row["strategy"], row["rows"], row["trials"], row["runs"]) == ("s", 5, 3, 5)


def test_the_ledger_is_append_only():
    ledger.record([_trial()])
    conn = sqlite3.connect(ledger.ledger_path())
    try:
        for sql in ("UPDATE trials SET sharpe = 9", "DELETE FROM trials"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()
    assert len(ledger.read()) == 1


def _write_many(args) -> None:
    path, worker = args
    for i in range(25):
        ledger.record([_trial(params={"w": worker, "i": i}), _trial(params={"w": worker, "i": i, "b": 1})], path)


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(_write_many, [(path, w) for w in range(4)]))
    with multiprocessing.get_context("fork").Pool(3) as pool:
        pool.map(_write_many, [(path, w) for w in range(4, 7)])
    assert len(ledger.read(path=path)) == 7 * 25 * 2
    assert ledger.trial_count("s", path) == 7 * 25 * 2


@pytest.fixture
def every():
    return spec_of_class(Every, "every")


def test_runs_and_sweeps_share_trials(every):
    data = make_market(["USDJPY"], start="2018-01-01", end="2020-12-31")
    settings = RunSettings(fees=0.0002, slippage=0.0001)
    run = run_strategy(every, every.build({"hold_days": 3}), settings, data=data)
    assert ledger.record_run(run, run_id="r1") == 1
    (row,) = ledger.read("every")
    assert row["kind"] == "run" and row["source_id"] == "r1" and row["params"] == {"every": 20, "hold_days": 3}
    assert row["sharpe"] == run.metrics["strategy"]["sharpe"] and row["trades"] == len(run.trades)
    assert row["start"] == f"{run.returns.index[0]:%Y-%m-%d}" and row["bars"] == len(run.returns)
    # A sweep over hold_days 2..4 includes the configuration just run: 3 trials in all, not 4.
    result = run_sweep(every, parse_grid(every, ["hold_days=2:4"]), settings, SweepOptions(bootstrap=0, pbo_blocks=2), data=data)
    assert result.trials == 3 and result.trials_in_sweep == 3 and result.deflated.n_trials == 3
    assert ledger.trial_count("every") == 3 and len(ledger.read("every")) == 4
    # Not recording still counts what the ledger already holds.
    other = run_sweep(every, parse_grid(every, ["hold_days=5,6"]), settings, SweepOptions(bootstrap=0, pbo_blocks=2, record=False), data=data)
    assert other.trials == 5 and ledger.trial_count("every") == 3
    assert replace(settings) == settings


def test_cli_ledger(every):
    runner = CliRunner(env={"COLUMNS": "250"})
    empty = runner.invoke(app, ["ledger"], catch_exceptions=False)
    assert empty.exit_code == 0 and "the trial ledger is empty" in empty.stdout
    ledger.record([_trial(strategy="every", params={"every": 20, "hold_days": 3}, sharpe=0.42)])
    shown = runner.invoke(app, ["ledger", "every"], catch_exceptions=False)
    assert shown.exit_code == 0 and "every: 1 trials" in shown.stdout and "every=20, hold_days=3" in shown.stdout and "0.42" in shown.stdout
    missing = runner.invoke(app, ["ledger", "evry"], catch_exceptions=False)
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "StrategyError: no trials of 'evry' in the ledger (did you mean every?); `jpmacro-bt ledger` lists the strategies in it"
