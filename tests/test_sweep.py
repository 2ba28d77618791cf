"""Parameter sweeps: equal to one-by-one runs, chunking-invariant, clear grid errors, Dask equals local."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.errors import StrategyError
from jpmacro_bt.events import load_events
from jpmacro_bt.engine.run import RunSettings, run_strategy
from jpmacro_bt.engine.simulate import backtest, backtest_many
from jpmacro_bt.catalog import load_strategy
from jpmacro_bt.errors import SweepError
from jpmacro_bt.reports.sweep_page import write_sweep
from jpmacro_bt.research.chunks import chunk_size_for, parse_memory
from jpmacro_bt.research.chunks import executor as make_executor
from jpmacro_bt.research.grid import Grid, parse_grid
from jpmacro_bt.research.sweep import SweepOptions, evaluate, run_sweep

from .conftest import make_market

# A small, causal trade idea: short USDJPY after it falls more than `threshold` over `bars` bars.
DIP = textwrap.dedent('''
    """Short USDJPY after a fast fall (a test strategy)."""
    from dataclasses import dataclass

    from jpmacro_bt.strategy import Signals, Strategy, hold_for, param


    @dataclass(frozen=True)
    class Dip(Strategy):
        claim = "A fast yen rally <b>continues</b> & more"
        source = "test"
        symbols = ("USDJPY",)

        bars: int = param(5, min=1, max=60, help="look-back, bars", grid=(3, 5))
        threshold: float = param(0.01, min=0.001, max=0.2, help="fall that fires, fraction", grid=(0.005, 0.01))
        hold_days: int = param(5, min=1, max=100, help="bars held", grid=(2, 5, 10))
        stop: float | None = param(None, min=0.001, max=0.5, help="stop-loss, fraction")

        def signals(self, data, events) -> Signals:
            close = data.close("USDJPY")
            fired = close / close.shift(self.bars) - 1 < -self.threshold
            entries, exits = hold_for(fired, self.hold_days)
            return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.stop)
''')


@pytest.fixture
def dip(tmp_path):
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "dip.py").write_text(DIP, encoding="utf-8")
    return load_strategy(folder / "dip.py")


@pytest.fixture(scope="module")
def market():
    return make_market(["USDJPY"], start="2016-01-01", end="2020-12-31")


SETTINGS = RunSettings(fees=0.0002, slippage=0.0001, borrow=0.01)
QUICK = SweepOptions(bootstrap=50, pbo_blocks=4, record=False)


def test_sweep_equals_one_by_one_runs(dip, market):
    grid = parse_grid(dip, ["bars=3,10", "threshold=0.005:0.015:0.005", "stop=none,0.02"])
    result = run_sweep(dip, grid, SETTINGS, replace(QUICK, chunk_size=5), data=market)
    assert len(result.table) == 12 and result.chunks == 3
    for row in (0, 5, 7, 11):
        params = {k: result.table[k].iloc[row] for k in ("bars", "threshold", "hold_days", "stop")}
        one = run_strategy(dip, dip.build(params), SETTINGS, data=market).metrics["strategy"]
        for key, value in one.items():
            mine = result.table[key].iloc[row]
            assert (value is None and np.isnan(mine)) or mine == value, (row, key, value, mine)


def test_batched_simulation_equals_single_runs_exactly(dip, market):
    events = load_events()
    sigs = [dip.build({"bars": b, "stop": s}).signals(market, events) for b in (3, 7) for s in (None, 0.01)]
    kw = dict(init_cash=1e5, size=0.8, fees=0.0005, slippage=0.0002, borrow_rate=0.02)
    batch = backtest_many(sigs, **kw)
    for j, sig in enumerate(sigs):
        one = backtest(sig, **kw)
        assert np.array_equal(one.returns.to_numpy(), batch.returns[j].to_numpy())
        assert batch.trades[j] == len(one.trades) and batch.exposure[j] == one.exposure.mean()
        closed = one.trades[one.trades["status"] == "closed"]
        assert batch.closed[j] == len(closed) and batch.wins[j] == (closed["pnl"] > 0).sum()


def test_batched_multi_asset_target_weights_equal_single_runs(market):
    from jpmacro_bt.strategy import Signals

    data = make_market(["NIKKEI225", "SPX"], start="2018-01-01", end="2019-12-31")
    close = data.panel(["NIKKEI225", "SPX"])
    rng = np.random.default_rng(3)
    sigs = []
    for _ in range(3):
        w = pd.DataFrame(np.nan, index=close.index, columns=close.columns)
        rows = rng.choice(len(close), 12, replace=False)
        w.iloc[rows] = rng.choice([-0.5, 0.0, 0.5], size=(12, 2))
        sigs.append(Signals(close=close, target_weights=w))
    kw = dict(init_cash=1e5, size=1.0, fees=0.001, slippage=0.0005, borrow_rate=0.01)
    batch = backtest_many(sigs, **kw)
    for j, sig in enumerate(sigs):
        one = backtest(sig, **kw)
        assert np.array_equal(one.returns.to_numpy(), batch.returns[j].to_numpy())
        assert batch.trades[j] == len(one.trades) and batch.exposure[j] == one.exposure.mean()


def test_chunked_and_unchunked_sweeps_agree(dip, market):
    params = [dip.build(c).params() for c in parse_grid(dip, ["bars=2:9", "hold_days=3,8"]).combos()]
    kw = dict(start=None, init_cash=1e5, size=1.0, costs=(0.0002, 0.0001, 0.0), executor=make_executor("local", None), budget=2**34, bars=1305)
    edges = market.close("USDJPY").index[::300].to_numpy(dtype="datetime64[ns]")[:4]
    whole = evaluate(dip, params, market, chunk_size=None, edges=edges, **kw)
    assert whole.chunks == 1
    for size in (1, 5):
        part = evaluate(dip, params, market, chunk_size=size, edges=edges, **kw)
        assert part.chunks == -(-len(params) // size)
        pd.testing.assert_frame_equal(part.table, whole.table, check_exact=True)
        assert np.array_equal(part.blocks, whole.blocks)


def test_grid_syntax(dip):
    grid = parse_grid(dip, ["threshold=0.01:0.05:0.005", "bars=3:6", "stop=none,0.01:0.03:0.01,0.01", "hold_days=10, 5"])
    assert grid.swept["threshold"] == (0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05)
    assert grid.swept["bars"] == (3, 4, 5, 6) and all(type(v) is int for v in grid.swept["bars"])
    assert grid.swept["stop"] == (None, 0.01, 0.02, 0.03)  # the repeated 0.01 once
    assert grid.swept["hold_days"] == (10, 5)
    assert len(grid) == 9 * 4 * 4 * 2
    assert parse_grid(dip, ["bars=1:10:4"]).swept["bars"] == (1, 5, 9)  # 10 is off the grid
    combos = parse_grid(dip, ["bars=3,4"], {"hold_days": "7"}).combos()
    assert combos == [{"hold_days": 7, "bars": 3}, {"hold_days": 7, "bars": 4}]


def test_default_grid_is_the_parameters_grid_metadata(dip):
    grid = parse_grid(dip)
    assert dict(grid.swept) == {"bars": (3, 5), "threshold": (0.005, 0.01), "hold_days": (2, 5, 10)}
    assert parse_grid(dip, (), {"bars": "4"}).names == ("threshold", "hold_days")


@pytest.mark.parametrize(("items", "message"), [
    (["bars"], "--grid 'bars' is not NAME=VALUES; e.g. --grid hold_days=1:60, --grid hold_days=1:60:5 or --grid stop=none,0.01,0.02"),
    (["barz=1:3"], "unknown parameter 'barz' for dip (did you mean bars?); its parameters are: bars, threshold, hold_days, stop"),
    (["bars=ten,3"], "parameter bars='ten' is not a valid int for dip; e.g. --param bars=<int>"),
    (["bars=0:5"], "parameter bars=0 is out of range: use a value between 1 and 60"),
    (["bars=5:1"], "--grid bars=5:1: FIRST is above LAST; write bars=1:5"),
    (["bars=1:5:0"], "--grid bars=1:5:0: the step must be above 0, e.g. --grid bars=1:60 or --grid bars=1:60:5"),
    (["bars=1:5:0.5"], "--grid bars=1:5:0.5: bars is an int, so the step must be a whole number"),
    (["bars=1:5:x"], "--grid bars=1:5:x: the step 'x' is not a number, e.g. --grid bars=1:60 or --grid bars=1:60:5"),
    (["bars=1:2:3:4"], "--grid bars=1:2:3:4: a range is FIRST:LAST or FIRST:LAST:STEP, e.g. --grid bars=1:60 or --grid bars=1:60:5"),
    (["threshold=0.01:0.05"], "--grid threshold=0.01:0.05: a float range needs a step, e.g. --grid threshold=0.01:0.05:0.005"),
    (["stop=none:0.05:0.01"], "--grid stop=none:0.05:0.01: a range needs numbers at both ends; list none with the values instead, e.g. stop=none,0.01,0.02"),
    (["bars=1,,2"], "--grid bars=1,,2: an empty value; separate values with single commas, e.g. bars=1,5,10"),
    (["bars=1", "bars=2"], "--grid bars is given twice; put all its values in one --grid, e.g. bars=1,5,10"),
])
def test_grid_errors_are_clear(dip, items, message):
    with pytest.raises(StrategyError) as info:
        parse_grid(dip, items)
    assert str(info.value) == message


def test_swept_and_fixed_at_once_is_an_error(dip):
    with pytest.raises(StrategyError, match=re.escape("bars is both swept (--grid) and fixed (--param); drop one of them")):
        parse_grid(dip, ["bars=1,2"], {"bars": "3"})


def test_memory_budget_sizes_chunks():
    assert parse_memory("2G") == 2 * 10**9 and parse_memory("1.5GiB") == int(1.5 * 2**30) and parse_memory("500MB") == 5 * 10**8
    assert 0 < parse_memory("10%") < parse_memory(None) * 4
    with pytest.raises(SweepError, match=re.escape("--max-memory 'lots' is not a size; e.g. --max-memory 4G, 500MB or 25%")):
        parse_memory("lots")
    # 1000 bars x 160 B = 160 kB a combination: 16 MB of room holds 100 of them.
    assert chunk_size_for(10_000, 1000, 1, 20 * 10**6, baseline=4 * 10**6) == 100
    assert chunk_size_for(10, 1000, 1, 20 * 10**6, baseline=0) == 10
    assert chunk_size_for(1000, 1000, 1, 10**12, baseline=0, workers=4) == 125
    with pytest.raises(SweepError, match="is too small"):
        chunk_size_for(10, 1000, 1, 10**5, baseline=0)


def test_options_are_checked(dip):
    grid = parse_grid(dip, ["bars=1,2"])
    for options, message in [
        (SweepOptions(metric="sharp"), "unknown metric 'sharp' (did you mean sharpe?); use one of sharpe, sortino, cagr, total_return, max_drawdown"),
        (SweepOptions(walk_forward=1), "--walk-forward 1: use 0 (off) or 2 or more folds"),
        (SweepOptions(heatmap=("bars", "stop")), "--heatmap 'stop' is not a swept parameter; swept: bars"),
        (SweepOptions(pbo_blocks=5), "--pbo-blocks 5: use an even number from 2 to 24 (16 is the paper's choice)"),
        (SweepOptions(executor="ray"), None),
    ]:
        if message is None:
            with pytest.raises(SweepError, match=re.escape("unknown executor 'ray'; use local or dask")):
                run_sweep(dip, grid, SETTINGS, options, data=make_market(["USDJPY"], start="2019-01-01", end="2019-06-30"))
            continue
        with pytest.raises(SweepError) as info:
            options.check(grid)
        assert str(info.value) == message


def test_sweep_reports_luck_statistics(dip, market):
    result = run_sweep(dip, parse_grid(dip), SETTINGS, QUICK, data=market)
    assert len(result.table) == 12 and sorted(result.table["rank"]) == list(range(1, 13))
    assert result.table["rank"].iloc[result.best] == 1
    assert result.pbo is not None and result.pbo.n_splits == 6 and 0 <= result.pbo.pbo <= 1
    assert 0 <= result.deflated.dsr <= 1 and result.deflated.n_trials == result.trials == 12
    assert result.bootstrap.samples == 50 and result.bootstrap.sharpe[0] <= result.bootstrap.sharpe[1]
    params = {k: result.table[k].iloc[result.best] for k in ("bars", "threshold", "hold_days", "stop")}
    alone = run_strategy(dip, dip.build(params), SETTINGS, data=market)
    pd.testing.assert_series_equal(result.best_returns, alone.returns["strategy"], check_names=False, check_freq=False)


def test_too_few_trades_warns(dip, market):
    result = run_sweep(dip, parse_grid(dip, ["threshold=0.15,0.2"]), SETTINGS, QUICK, data=market)
    assert any("fewer than 30 say little about skill" in w for w in result.warnings)


def test_dask_cluster_result_equals_local(dip, market):
    distributed = pytest.importorskip("distributed")
    grid = parse_grid(dip, ["bars=2:7", "hold_days=3,6"])
    local = run_sweep(dip, grid, SETTINGS, replace(QUICK, chunk_size=4), data=market)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = run_sweep(dip, grid, SETTINGS, replace(QUICK, chunk_size=4, executor="dask", scheduler=cluster.scheduler_address), data=market)
    assert remote.chunks == local.chunks == 3
    pd.testing.assert_frame_equal(remote.table, local.table, check_exact=True)
    assert remote.pbo.pbo == local.pbo.pbo and remote.deflated == local.deflated


def test_unreachable_scheduler_is_a_clear_error(dip, market, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("jpmacro_bt.research.chunks.DASK_CONNECT_TIMEOUT", "1s")
    options = replace(QUICK, executor="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(SweepError, match=re.escape("cannot reach the Dask scheduler at tcp://127.0.0.1:9")):
        run_sweep(dip, parse_grid(dip, ["bars=2,3"]), SETTINGS, options, data=market)


def test_sweep_folder_is_complete_self_contained_and_escaped(dip, market, tmp_path):
    result = run_sweep(dip, parse_grid(dip), SETTINGS, QUICK, data=market)
    folder = write_sweep(result, tmp_path / "reports", argv=["jpmacro-bt", "sweep", "dip"])
    assert folder.name == f"sweep-{result.id}" and folder.name.startswith("sweep-dip-")
    assert {p.name for p in folder.iterdir()} == {"metrics.parquet", "metrics.csv", "summary.json", "manifest.json", "sweep.html"}
    parquet = pd.read_parquet(folder / "metrics.parquet")
    csv = pd.read_csv(folder / "metrics.csv")
    assert len(parquet) == len(csv) == 12
    np.testing.assert_allclose(parquet["sharpe"], csv["sharpe"], rtol=1e-12)
    page = (folder / "sweep.html").read_text(encoding="utf-8")
    assert "A fast yen rally &lt;b&gt;continues&lt;/b&gt; &amp; more" in page and "<b>continues</b>" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<svg" in page and "trials on this strategy: 12" in page
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["combinations"] == 12 and summary["trials"]["ledger"] == 12 and summary["pbo"]["splits"] == 6
    assert not any(p.name.startswith(".") for p in (tmp_path / "reports").iterdir())


runner = CliRunner(env={"COLUMNS": "250"})


def test_cli_sweep_writes_a_folder_and_records_trials(dip, tmp_path):
    args = ["sweep", "dip", "--strategies", str(dip.path.parent), "--grid", "bars=3,5", "--grid", "hold_days=4:5",
            "--start", "2020-01-01", "--end", "2021-12-31", "--bootstrap", "20", "--pbo-blocks", "4", "--reports-dir", str(tmp_path / "r")]
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "dip: 4 combinations, 2020-01-02 .. 2021-12-31, 515 bars" in result.stdout
    assert "sharpe of the best" in result.stdout and "(trials on dip: 4; this sweep: 4)" in result.stdout
    (folder,) = (tmp_path / "r").iterdir()
    assert (folder / "sweep.html").exists()
    listing = runner.invoke(app, ["ledger"], catch_exceptions=False)
    assert listing.exit_code == 0 and re.search(r"│ dip\s+│\s+4 │\s+4 │\s+0 │\s+1 │", listing.stdout)
    again = runner.invoke(app, [*args[:-1], str(tmp_path / "r2")], catch_exceptions=False)  # the same four trials: still four
    assert "(trials on dip: 4; this sweep: 4)" in again.stdout


@pytest.mark.parametrize(("extra", "line"), [
    (["--grid", "bars=0:3"], "StrategyError: parameter bars=0 is out of range: use a value between 1 and 60"),
    (["--grid", "bars=1:3", "--metric", "sharp"], "SweepError: unknown metric 'sharp' (did you mean sharpe?); use one of sharpe, sortino, cagr, total_return, max_drawdown"),
    (["--grid", "bars=1:3", "--heatmap", "bars"], "SweepError: --heatmap 'bars' is not X,Y; e.g. --heatmap hold_days,stop"),
    (["--grid", "bars=1:3", "--max-memory", "lots"], "SweepError: --max-memory 'lots' is not a size; e.g. --max-memory 4G, 500MB or 25%"),
])
def test_cli_sweep_errors_print_one_line(dip, tmp_path, extra, line):
    result = runner.invoke(app, ["sweep", "dip", "--strategies", str(dip.path.parent), *extra, "--reports-dir", str(tmp_path / "r")], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == line
    assert not (tmp_path / "r").exists()


def test_grid_combos_keep_grid_order():
    grid = Grid({"a": (1, 2), "b": ("x", "y")})
    assert grid.combos() == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert len(grid) == 4


def test_a_grid_that_changes_the_traded_asset_is_refused():
    from jpmacro_bt.errors import SweepError
    from jpmacro_bt.research.grid import parse_grid
    from jpmacro_bt.research.sweep import run_sweep
    from jpmacro_bt.engine.run import RunSettings
    from jpmacro_bt.catalog import find

    spec = find("boj_hike_short_risk")
    grid = parse_grid(spec, ["asset=NIKKEI225,SPX"])
    with pytest.raises(SweepError, match=r"the grid changes what boj_hike_short_risk trades \(NIKKEI225, SPX\).*--param asset=SPX"):
        run_sweep(spec, grid, RunSettings())


def test_a_grid_over_inputs_loads_every_input():
    # spread_tightening_long_jpy reads the 2y or the 10y pair: a sweep over both loads both.
    from jpmacro_bt.research.grid import parse_grid
    from jpmacro_bt.research.sweep import SweepOptions, run_sweep
    from jpmacro_bt.engine.run import RunSettings
    from jpmacro_bt.catalog import find

    from .conftest import make_market

    spec = find("spread_tightening_long_jpy")
    grid = parse_grid(spec, ["tenor=2y,10y"])
    data = make_market(["USDJPY", "UST2Y", "JGB2Y", "UST10Y", "JGB10Y"], start="2020-01-01")
    result = run_sweep(spec, grid, RunSettings(), SweepOptions(record=False, bootstrap=10), data=data)
    assert len(result.table) == 2


# Short USDJPY at `scale` times equity after a fast fall, flat after `bars` bars: more than 1x gross needs --leverage.
LEVERED = textwrap.dedent('''
    """Short USDJPY at more than 1x after a fast fall (a test strategy)."""
    from dataclasses import dataclass

    import numpy as np

    from jpmacro_bt.strategy import Signals, Strategy, param


    @dataclass(frozen=True)
    class Levered(Strategy):
        claim = "test"
        source = "test"
        symbols = ("USDJPY",)

        scale: float = param(1.5, min=0.1, max=3.0, help="short exposure, multiple of equity")
        bars: int = param(5, min=1, max=60, help="look-back, bars")

        def signals(self, data, events) -> Signals:
            close = data.close("USDJPY")
            fell = (close / close.shift(self.bars) - 1 < -0.01).to_numpy()
            weights = np.where(fell, -self.scale, 0.0)
            return Signals(close=close, target_weights=close * 0 + weights)
''')


@pytest.fixture
def levered(tmp_path):
    folder = tmp_path / "levered"
    folder.mkdir()
    (folder / "levered.py").write_text(LEVERED, encoding="utf-8")
    return load_strategy(folder / "levered.py")


def test_a_sweep_takes_leverage_as_a_run_does(levered, market):
    grid = parse_grid(levered, ["scale=1.2,1.5", "bars=3,5"])
    with pytest.raises(StrategyError, match=r"gross exposure of 1\.2x equity, beyond --size 1: allow it with --leverage 1\.2"):
        run_sweep(levered, grid, SETTINGS, QUICK, data=market)
    settings = replace(SETTINGS, leverage=2.0)
    result = run_sweep(levered, grid, settings, QUICK, data=market)
    for row in range(len(result.table)):
        params = {k: result.table[k].iloc[row] for k in ("scale", "bars")}
        one = run_strategy(levered, levered.build(params), settings, data=market).metrics["strategy"]
        assert result.table["sharpe"].iloc[row] == one["sharpe"] and result.table["trades"].iloc[row] == one["trades"]
    # 1.5x short loses more than 1.2x short on the same bars when the trade goes wrong, and gains more when right.
    by_scale = result.table.set_index(["bars", "scale"])["total_return"]
    assert all(abs(by_scale[(b, 1.5)]) > abs(by_scale[(b, 1.2)]) for b in (3, 5))
    # The walk-forward's out-of-sample runs trade under the same leverage.
    wf = run_sweep(levered, grid, settings, replace(QUICK, walk_forward=2), data=market).walk_forward
    assert len(wf.folds) == 2 and sum(f.oos_trades for f in wf.folds) > 0


def test_cli_sweep_passes_leverage(levered, tmp_path):
    args = ["sweep", "levered", "--strategies", str(levered.path.parent), "--grid", "scale=1.2,1.5", "--start", "2020-01-01", "--end", "2021-12-31",
            "--bootstrap", "0", "--pbo-blocks", "2", "--no-record", "--reports-dir", str(tmp_path / "r")]
    refused = runner.invoke(app, args, catch_exceptions=False)
    assert refused.exit_code == 1 and "allow it with --leverage 1.2" in refused.stderr
    done = runner.invoke(app, [*args, "--leverage", "2"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    summary = json.loads(next((tmp_path / "r").glob("sweep-*/summary.json")).read_text())
    assert summary["combinations"] == 2
