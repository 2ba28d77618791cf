"""Every strategy on a real data folder, traded by the engine and by the reference simulator; two also by backtrader.

Run by hand, never by the test suite (it needs a data folder of SYMBOL.csv files; the ECB pairs are bundled)::

    .venv/bin/python benchmarks/reference_check.py --data-dir ../market
    .venv/bin/python benchmarks/reference_check.py --data-dir ../market --second-engine /tmp/bench-venv/bin/python

Prints one line per strategy and case (the defaults, then variants that reach stops, baskets, reversals
and FX carry): the period, bars, trades of the engine and of ``tests/reference.py``, and the largest
absolute difference between their daily returns. The two must agree to 1e-10 and trade for trade.

``--second-engine PYTHON`` names an interpreter with backtrader installed, in its own environment
(never the project's; see benchmarks/README.md for the venv). Then ``boj_hike_long_jpy`` (an event
strategy: short USDJPY carry-inclusive after each hike) and ``yen_carry_unwind_filter`` (target
weights on a three-pair basket) are also traded in backtrader, filling at the signal bar's close with
the same fees and slippage, and the largest difference of daily returns and of the final equity is
printed. In that run this file is executed by the other interpreter with ``--backtrader``; that mode
imports only backtrader, numpy and pandas.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CASES: dict[str, list[dict]] = {
    "boj_hike_long_jpy": [{}, {"stop": 0.01}, {"carry": False}],
    "boj_hike_short_risk": [{}, {"asset": "SPX", "stop": 0.03}],
    "carry_unwind_short_risk": [{}, {"asset": "basket"}],
    "correlation_to_one_risk_off": [{}, {"mode": "short"}, {"asset": "AUDJPY"}],
    "fade_the_panic": [{}, {"stop": 0.05}],
    "hedged_yield_repatriation": [{}, {"trade": "both"}],
    "japan_fiscal_melt_up": [{}],
    "jgb_spillover_short_ust": [{}, {"instrument": "synthetic"}],
    "nikkei_leads_global": [{}],
    "spread_tightening_long_jpy": [{}, {"stop": 0.02}],
    "tic_japan_dumps_treasuries": [{}],
    "yen_carry_unwind_filter": [{}],
}


# --- the reference against the engine -------------------------------------------------------


def _pair(sid: str, case: dict, data_dir: Path):
    """(engine result, reference result, uncut signals, costs) for one strategy case on the data folder."""
    sys.path.insert(0, str(ROOT))
    from jpmacro_bt.catalog import find
    from jpmacro_bt.engine.run import RunSettings, run_strategy
    from jpmacro_bt.events import load_events
    from tests.reference import simulate

    spec = find(sid)
    strategy = spec.build(case)
    engine = run_strategy(spec, strategy, RunSettings(data_dir=data_dir))
    start = engine.returns.index[0]
    signals = strategy.signals(engine.data, load_events())
    fees, slippage, borrow = engine.costs
    reference = simulate(signals, start, init_cash=engine.settings.init_cash, size=engine.settings.size, fees=fees, slippage=slippage, borrow=borrow)
    return engine, reference, signals, engine.costs


def check_reference(data_dir: Path) -> float:
    worst = 0.0
    print(f"{'strategy':28} {'case':26} {'period':23} {'bars':>5} {'trades':>7} {'ref':>5}  max |diff|")
    for sid, cases in CASES.items():
        for case in cases:
            engine, reference, _, _ = _pair(sid, case, data_dir)
            mine = engine.backtest.returns
            diff = float(np.max(np.abs(mine.to_numpy() - reference.returns.to_numpy()))) if mine.index.equals(reference.returns.index) else float("inf")
            worst = max(worst, diff)
            label = ",".join(f"{k}={v}" for k, v in case.items()) or "defaults"
            period = f"{mine.index[0]:%Y-%m-%d}..{mine.index[-1]:%Y-%m-%d}"
            print(f"{sid:28} {label:26} {period:23} {len(mine):5d} {len(engine.trades):7d} {reference.trades:5d}  {diff:.1e}")
    print(f"largest difference: {worst:.1e}")
    return worst


# --- a second engine ----------------------------------------------------------------------------


def _export(sid: str, data_dir: Path, folder: Path) -> tuple[pd.Series, Path]:
    """Write one strategy's cut signals and costs for backtrader; return the engine's returns and the spec file."""
    engine, _, uncut, (fees, slippage, _) = _pair(sid, {}, data_dir)
    signals = uncut.cut(engine.returns.index[0], None)  # as the engine traded them
    close = signals.close.to_frame() if isinstance(signals.close, pd.Series) else signals.close
    frame = close.add_prefix("close_")
    if signals.target_weights is not None:
        weights = signals.target_weights
        weights = weights.to_frame(close.columns[0]) if isinstance(weights, pd.Series) else weights
        frame = frame.join(weights.add_prefix("weight_"))
    else:
        for name in ("entries", "exits", "short_entries", "short_exits"):
            value = getattr(signals, name)
            frame[name] = False if value is None else value.to_numpy()
    names = [str(c) for c in close.columns]
    cost = lambda c: {n: float(c.get(n, c["*"])) if isinstance(c, dict) else float(c) for n in names}  # noqa: E731
    csv = folder / f"{sid}.csv"
    frame.rename_axis("date").to_csv(csv)
    spec = {"csv": str(csv), "assets": names, "fees": cost(fees), "slippage": cost(slippage),
            "init_cash": engine.settings.init_cash, "size": engine.settings.size, "stop": signals.sl_stop}
    path = folder / f"{sid}.json"
    path.write_text(json.dumps(spec))
    return engine.backtest.returns, path


def check_second_engine(data_dir: Path, python: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for sid in ("boj_hike_long_jpy", "yen_carry_unwind_filter"):
            mine, spec = _export(sid, data_dir, Path(tmp))
            out = subprocess.run([python, __file__, "--backtrader", str(spec)], capture_output=True, text=True, check=True)
            theirs = np.asarray(json.loads(out.stdout)["equity"], dtype=np.float64)
            init = json.loads(spec.read_text())["init_cash"]
            returns = theirs / np.r_[init, theirs[:-1]] - 1
            equity = init * np.cumprod(1 + mine.to_numpy())
            print(f"backtrader {sid:26} {len(mine)} bars: max |daily return diff| {np.max(np.abs(returns - mine.to_numpy())):.1e}, "
                  f"final equity {equity[-1]:,.2f} vs {theirs[-1]:,.2f} (relative {abs(theirs[-1] / equity[-1] - 1):.1e})")


# --- run by the second interpreter: backtrader only ---------------------------------------------


def _trade_class(bt, spec: dict, frame: pd.DataFrame):
    """A backtrader strategy that takes the exported signals' decisions; backtrader's broker fills and books them."""
    size = spec["size"]
    weighted = any(c.startswith("weight_") for c in frame.columns)

    class Trade(bt.Strategy):
        """The documented rules (simulate.py's docstring), decided here and executed by backtrader's broker."""

        def __init__(self):
            self.equity, self.side, self.opened_at = [], 0, None

        def _mark(self, ago: int) -> float:
            return self.broker.getcash() + sum(self.getposition(d).size * d.close[ago] for d in self.datas)

        def next(self):
            i = len(self) - 1
            if i > 0:
                self.equity.append(self._mark(-1))  # the last bar's fills are in; marked at its close
            (self._weights if weighted else self._signals)(i)

        def stop(self):
            self.equity.append(self._mark(0))

        def _units(self, d, side: int, value: float) -> float:
            name = d._name
            return size * value / (d.close[0] * (1 + side * spec["slippage"][name]) * (1 + spec["fees"][name]))

        def _signals(self, i: int):
            d, row = self.datas[0], frame.iloc[i]
            stop = spec["stop"]
            if self.side and stop and (d.close[0] <= self.opened_at * (1 - stop) if self.side > 0 else d.close[0] >= self.opened_at * (1 + stop)):
                self.close(data=d)
                self.side = 0
                return
            le, lx, se, sx = (bool(row[k]) for k in ("entries", "exits", "short_entries", "short_exits"))
            if le and se:
                return
            if not self.side and (le or se):
                self.side = 1 if le else -1
                (self.buy if le else self.sell)(data=d, size=self._units(d, self.side, self.broker.getvalue()))
                self.opened_at = d.close[0]
            elif (self.side > 0 and lx and not le) or (self.side < 0 and sx and not se):
                self.close(data=d)
                self.side = 0

        def _weights(self, i: int):
            row = frame.iloc[i]
            value, cash, orders = self.broker.getvalue(), self.broker.getcash(), []
            for d in self.datas:
                w = row[f"weight_{d._name}"]
                if np.isnan(w):
                    continue
                held = self.getposition(d).size
                delta = w * size * value / d.close[0] - held
                if abs(delta) > 1e-12:
                    orders.append((w * size * value - held * d.close[0], d, delta))
            for _, d, delta in sorted(orders, key=lambda o: o[0]):
                fee, slip = spec["fees"][d._name], spec["slippage"][d._name]
                if delta < 0:
                    self.sell(data=d, size=-delta)
                    cash += -delta * d.close[0] * (1 - slip) * (1 - fee)
                else:
                    delta = min(delta, cash / (d.close[0] * (1 + slip) * (1 + fee)) * (1 - 1e-12))
                    self.buy(data=d, size=delta)
                    cash -= delta * d.close[0] * (1 + slip) * (1 + fee)

    return Trade


def _backtrader(spec_path: str) -> None:
    import backtrader as bt

    spec = json.loads(Path(spec_path).read_text())
    frame = pd.read_csv(spec["csv"], index_col="date", parse_dates=["date"])
    assets = spec["assets"]
    cerebro = bt.Cerebro(stdstats=False)
    for name in assets:
        feed = pd.DataFrame({"open": frame[f"close_{name}"], "high": frame[f"close_{name}"], "low": frame[f"close_{name}"],
                             "close": frame[f"close_{name}"], "volume": 0.0})
        cerebro.adddata(bt.feeds.PandasData(dataname=feed), name=name)
        cerebro.broker.setcommission(commission=spec["fees"][name], name=name)
    cerebro.broker.setcash(spec["init_cash"])
    cerebro.broker.set_coc(True)  # fill at the close of the bar that decided, as the engine does
    cerebro.broker.set_checksubmit(False)
    slips = set(spec["slippage"].values())
    if len(slips) != 1:
        raise SystemExit("backtrader takes one slippage for all assets")
    cerebro.broker.set_slippage_perc(slips.pop(), slip_open=True, slip_limit=True, slip_match=True, slip_out=True)
    cerebro.addstrategy(_trade_class(bt, spec, frame))
    (strategy,) = cerebro.run(maxcpus=1)
    json.dump({"equity": strategy.equity}, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--second-engine", help="a Python with backtrader installed (its own venv)")
    parser.add_argument("--backtrader", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backtrader:
        _backtrader(args.backtrader)
        return
    if args.data_dir is None:
        parser.error("--data-dir is required")
    warnings.simplefilter("ignore")
    worst = check_reference(args.data_dir)
    if args.second_engine:
        check_second_engine(args.data_dir, args.second_engine)
    sys.exit(0 if worst <= 1e-10 else 1)


if __name__ == "__main__":
    main()
