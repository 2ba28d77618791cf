"""The fast paths give what vectorbt's own ``Portfolio.from_signals`` / ``from_orders`` give, to 1e-12.

Three paths are checked against a hand-written vectorbt call that states the
documented trading rules (engine/simulate.py) once more:

* a run (``run_strategy``: vectorbt's signal kernel, now cached on disk) on
  every shipped strategy with its defaults, on the multi-market fixture of
  tests/test_reference.py: returns, equity and the trades table;
* the batch kernels (``engine.kernels.simulate_columns``, vectorbt's compiled
  functions on plain arrays, used for single-asset signal sets in sweeps) on
  the same strategies, each with several stops: returns, equity, held bars,
  position records and the short value borrow is charged on;
* a sweep with stops, where combinations that differ only in the stop share
  one ``signals()`` call: every row's metrics against the raw vectorbt run of
  that combination's own signals.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.catalog import discover, spec_of_class
from jpmacro_bt.engine.holds import continued, split_holds, trades_table
from jpmacro_bt.engine.kernels import simulate_columns
from jpmacro_bt.engine.metrics import compute_metrics
from jpmacro_bt.engine.run import RunSettings, prepare, run_strategy
from jpmacro_bt.engine.simulate import backtest, backtest_many
from jpmacro_bt.events import load_events
from jpmacro_bt.research.chunks import find_execution
from jpmacro_bt.research.grid import parse_grid
from jpmacro_bt.research.sweep import SweepOptions, run_sweep
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param

from .conftest import make_market
from .test_reference import PARAMS

SPECS = discover()
START = date(2016, 1, 4)
# Borrow is the package's own accounting on top of vectorbt (tests/test_reference.py checks it): off here.
SETTINGS = RunSettings(start=START, borrow=0.0)
TIGHT = dict(rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def market():
    needs = sorted({s for sid, case in PARAMS for s in SPECS[sid].build(case).needs()})
    return make_market(needs, start="2012-01-02", end="2026-10-30")


def _vbt():
    import vectorbt as vbt

    return vbt


def _row(cost, names):
    """A cost as vectorbt takes it per column: a scalar, or a row with one value per asset ("*" for the others)."""
    if not isinstance(cost, dict):
        return float(cost)
    return np.array([[float(cost.get(str(n), cost["*"])) for n in names]])


def _raw(signals: Signals, *, init_cash: float, size: float, fees, slippage):
    """The documented rules as one vectorbt call, written here again rather than taken from the engine."""
    vbt = _vbt()
    close = signals.close
    multi = isinstance(close, pd.DataFrame)
    names = list(close.columns) if multi else [close.name]
    common = dict(
        init_cash=init_cash, fees=_row(fees, names), fixed_fees=0.0, slippage=_row(slippage, names), freq="1D", cash_sharing=multi,
        group_by=True if multi else None, call_seq="auto" if multi else None, lock_cash=False, allow_partial=True, min_size=0.0,
    )
    if signals.target_weights is not None:
        return vbt.Portfolio.from_orders(
            close, size=signals.target_weights * size, size_type="targetpercent", direction="both", val_price=close, update_value=False, **common
        )
    false = close.astype(bool) & False
    flags = {k: false if getattr(signals, k) is None else getattr(signals, k) for k in ("entries", "exits", "short_entries", "short_exits")}
    return vbt.Portfolio.from_signals(
        close, **flags, size=size, size_type="percent", accumulate=False, upon_opposite_entry="reverse", upon_long_conflict="entry",
        upon_short_conflict="entry", upon_dir_conflict="ignore", sl_stop=np.nan if signals.sl_stop is None else signals.sl_stop,
        stop_entry_price="close", stop_exit_price="close", upon_stop_exit="close", **common,
    )


def _cut_signals(sid: str, market, params=None):
    spec = SPECS[sid]
    strategy = spec.build(params or {})
    ready = prepare(strategy.needs(), strategy.calendars, SETTINGS, data=market)
    return strategy, strategy.signals(ready.data, ready.events).cut(ready.start, None)


# Every shipped strategy with its defaults, and the variants tests/test_reference.py uses to reach every rule.
@pytest.mark.parametrize(("sid", "case"), PARAMS, ids=[f"{sid}-{i}" for i, (sid, _) in enumerate(PARAMS)])
def test_a_run_equals_vectorbt_from_signals_or_from_orders(sid, case, market):
    strategy, signals = _cut_signals(sid, market, case)
    run = run_strategy(SPECS[sid], strategy, SETTINGS, data=market)
    fees, slippage, _ = run.costs
    pf = _raw(signals, init_cash=SETTINGS.init_cash, size=SETTINGS.size, fees=fees, slippage=slippage)
    np.testing.assert_allclose(run.backtest.returns.to_numpy(), pf.returns().to_numpy(), **TIGHT)
    np.testing.assert_allclose(run.backtest.equity.to_numpy(), pf.value().to_numpy(), **TIGHT)
    # vectorbt's positions, as the trades table shows them (a back-to-back hold cut in two).
    flags = {k: getattr(signals, k) for k in ("entries", "exits", "short_entries", "short_exits")}
    shape = (len(signals.close), signals.close.shape[1] if isinstance(signals.close, pd.DataFrame) else 1)
    arrays = {k: None if signals.target_weights is not None else (v if v is not None else signals.close.astype(bool) & False) for k, v in flags.items()}
    expected = trades_table(split_holds(pf.positions.records, np.asarray(signals.close, dtype=float).reshape(shape), *continued(arrays, shape)), signals.close)
    pd.testing.assert_frame_equal(run.trades, expected, check_exact=False, rtol=1e-12, atol=1e-12)
    assert len(run.trades) > 0 or not run.backtest.returns.any()


STOPS = (None, 0.01, 0.03)


@pytest.mark.parametrize(("sid", "case"), PARAMS, ids=[f"{sid}-{i}" for i, (sid, _) in enumerate(PARAMS)])
def test_batch_kernels_equal_vectorbt_portfolio(sid, case, market):
    _, signals = _cut_signals(sid, market, case)
    sets = [dataclasses.replace(signals, sl_stop=s) for s in STOPS] if signals.target_weights is None else [signals]
    kw = dict(init_cash=1e5, size=0.9, fees=0.0005, slippage=0.0002)
    if signals.target_weights is not None or isinstance(signals.close, pd.DataFrame):
        # Target weights and baskets take vectorbt's Portfolio in a batch too: the batch equals the run, set by set.
        batch = backtest_many(sets, borrow_rate=0.01, **kw)
        for j, one in enumerate(sets):
            np.testing.assert_array_equal(batch.returns[j].to_numpy(), backtest(one, borrow_rate=0.01, **kw).returns.to_numpy())
        return
    close = np.repeat(signals.close.to_numpy()[:, None], len(sets), axis=1)
    flags = {k: np.repeat(((getattr(signals, k) if getattr(signals, k) is not None else signals.close.astype(bool) & False).to_numpy())[:, None], len(sets), axis=1)
             for k in ("entries", "exits", "short_entries", "short_exits")}
    stops = np.array([[np.nan if s is None else s for s in STOPS]])
    mine = simulate_columns(_vbt(), close, flags, stops, short_value=True, **kw)
    frame = pd.DataFrame(close, index=signals.close.index)
    pf = _vbt().Portfolio.from_signals(
        frame, **{k: pd.DataFrame(v, index=frame.index) for k, v in flags.items()}, size=kw["size"], size_type="percent", accumulate=False,
        upon_opposite_entry="reverse", upon_long_conflict="entry", upon_short_conflict="entry", upon_dir_conflict="ignore", sl_stop=stops,
        stop_entry_price="close", stop_exit_price="close", upon_stop_exit="close", init_cash=kw["init_cash"], fees=kw["fees"], fixed_fees=0.0,
        slippage=kw["slippage"], freq="1D", lock_cash=False, allow_partial=True, min_size=0.0,
    )
    np.testing.assert_allclose(mine.returns, pf.returns().to_numpy(), **TIGHT)
    np.testing.assert_allclose(mine.value, pf.value().to_numpy(), **TIGHT)
    np.testing.assert_array_equal(mine.held, pf.position_mask().to_numpy())
    np.testing.assert_allclose(mine.short_value, pf.asset_value(direction="shortonly").to_numpy(), **TIGHT)
    theirs = pf.positions.values
    assert len(mine.positions) == len(theirs)
    for name in theirs.dtype.names:
        np.testing.assert_allclose(mine.positions[name], theirs[name], **TIGHT, err_msg=name)


def test_every_shipped_strategy_is_run_with_its_defaults():
    assert {sid for sid, case in PARAMS if not case} == set(SPECS)


def test_a_sweep_with_stops_equals_vectorbt_run_by_run(market):
    spec = SPECS["boj_hike_long_jpy"]
    grid = parse_grid(spec, ["hold_days=5,20,60", "stop=none,0.002,0.005,0.01"])
    ready = prepare(spec.build({}).needs(), spec.cls.calendars, SETTINGS, data=market)
    # The stop only reaches sl_stop: combinations that differ in it share their signals.
    params = [spec.build(c).params() for c in grid.combos()]
    assert find_execution(spec, params, ready.data, ready.events).names == ("stop",)
    result = run_sweep(spec, grid, SETTINGS, SweepOptions(record=False, bootstrap=0, pbo_blocks=4), data=market)
    fees, slippage, _ = result.costs
    stopped = 0
    for row, p in enumerate(params):
        signals = spec.build(p).signals(ready.data, ready.events).cut(ready.start, None)
        pf = _raw(signals, init_cash=SETTINGS.init_cash, size=SETTINGS.size, fees=fees, slippage=slippage)
        expected = compute_metrics(pf.returns(), exposure=pf.position_mask())
        for key in ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility", "exposure"):
            mine, theirs = result.table[key].iloc[row], expected[key]
            assert (theirs is None and np.isnan(mine)) or mine == pytest.approx(theirs, rel=1e-12, abs=1e-12), (p, key, mine, theirs)
        assert result.table["trades"].iloc[row] == pf.positions.count()
        if p["stop"] is not None:
            unstopped = _raw(dataclasses.replace(signals, sl_stop=None), init_cash=SETTINGS.init_cash, size=SETTINGS.size, fees=fees, slippage=slippage)
            stopped += not np.array_equal(pf.returns().to_numpy(), unstopped.returns().to_numpy())
    assert stopped > 0  # some stop fired: the sweep compared stopped trades too


# --- which parameters count as execution parameters ------------------------------------------


@dataclass_frozen := dataclasses.dataclass(frozen=True)
class _Base(Strategy):
    claim = "test"
    source = "test"
    symbols = ("USDJPY",)


@dataclass_frozen
class StopShapesExits(_Base):
    """``stop`` sets sl_stop and, above 4 %, also ends holds early: it changes the signals."""

    hold: int = param(10, min=1, max=50)
    stop: float | None = param(None, min=0.001, max=0.5)

    def signals(self, data, events) -> Signals:
        close = data.close("USDJPY")
        fired = close.pct_change(5) < -0.01
        leave = close.pct_change() > 0.005 if self.stop is not None and self.stop > 0.04 else None
        entries, exits = hold_for(fired, self.hold, leave)
        return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.stop)


@dataclass_frozen
class WidthSetsStop(_Base):
    """``width`` is called nothing like a stop, yet only sets sl_stop: an execution parameter."""

    hold: int = param(10, min=1, max=50)
    width: float = param(0.02, min=0.001, max=0.5)

    def signals(self, data, events) -> Signals:
        close = data.close("USDJPY")
        entries, exits = hold_for(close.pct_change(5) < -0.01, self.hold)
        return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.width)


@dataclass_frozen
class StopTimesHold(_Base):
    """``stop`` alone sets sl_stop, but scaled by ``hold``: the fields depend on a signal parameter too."""

    hold: int = param(10, min=1, max=50)
    stop: float = param(0.01, min=0.001, max=0.5)

    def signals(self, data, events) -> Signals:
        close = data.close("USDJPY")
        entries, exits = hold_for(close.pct_change(5) < -0.01, self.hold)
        return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.stop * self.hold / 10)


@pytest.mark.parametrize(("cls", "grid", "names"), [
    (StopShapesExits, ["hold=3,10", "stop=none,0.01,0.02,0.03,0.05"], ()),
    (WidthSetsStop, ["hold=3,10", "width=0.01,0.02,0.03"], ("width",)),
    (StopTimesHold, ["hold=3,10", "stop=0.01,0.02"], ()),
])
def test_execution_parameters_are_found_by_their_effect_not_their_name(cls, grid, names):
    spec = spec_of_class(cls, cls.__name__.lower())
    data = make_market(["USDJPY"], start="2018-01-01", end="2021-12-31")
    params = [spec.build(c).params() for c in parse_grid(spec, grid).combos()]
    found = find_execution(spec, params, data, load_events())
    assert found.names == names
    # Whatever was found, a sweep equals its combinations run one by one.
    result = run_sweep(spec, parse_grid(spec, grid), RunSettings(), SweepOptions(record=False, bootstrap=0, pbo_blocks=2), data=data)
    for row, p in enumerate(params):
        alone = run_strategy(spec, spec.build(p), RunSettings(), data=data).metrics["strategy"]
        assert result.table["sharpe"].iloc[row] == pytest.approx(alone["sharpe"] if alone["sharpe"] is not None else np.nan, nan_ok=True, rel=1e-12)


def test_the_signal_kernel_is_cached_on_disk(market):
    # vectorbt 1.2 compiles its signal simulator in every process; the engine keeps the compiled code in numba's cache.
    _, signals = _cut_signals("boj_hike_long_jpy", market)
    backtest(signals, init_cash=1e5, size=1.0, fees=0.0, slippage=0.0)
    kernel = _vbt().portfolio.nb.simulate_from_signals_nb
    assert type(kernel._cache).__name__ == "FunctionCache"
    assert sum(kernel.stats.cache_hits.values()) + sum(kernel.stats.cache_misses.values()) >= 1
    index = list(__import__("pathlib").Path(kernel.stats.cache_path).glob("nb.simulate_from_signals_nb-*.nbi"))
    assert index, kernel.stats.cache_path
