"""The same sweep in backtrader and backtesting.py: combinations per second (run by bench_sweep.py).

Runs in its own virtual environment, never the project's (neither library is a dependency)::

    python3 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install backtrader==1.9.78.123 backtesting==0.6.6 pandas==3.1.1 numpy==2.4.6

Usage: ``/tmp/bench-venv/bin/python benchmarks/frameworks.py DATA.csv HOLD_MAX`` where DATA.csv has
``date,close,hike`` (bench_sweep.py writes it). Prints one JSON object: seconds and combinations per second
for each framework, and each combination's total return (to check that the three engines agree).

The strategy is boj_hike_long_jpy without a stop: at the close of a hike bar, short USDJPY with all
equity; buy back at the close ``hold_days`` bars later (a hike inside an open window is ignored).
Fees 0.2 bp a side in both; each combination is one single-process run.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

FEES = 0.00002


def run_backtesting_py(frame: pd.DataFrame, holds: list[int]) -> tuple[float, list[float]]:
    from backtesting import Backtest, Strategy

    class Hike(Strategy):
        hold_days = 20

        def init(self):
            self.exit_at = None

        def next(self):
            i = len(self.data) - 1
            if self.position and self.exit_at is not None and i >= self.exit_at:
                self.position.close()
                self.exit_at = None
            elif not self.position and self.exit_at is None and self.data.hike[-1]:
                self.sell(size=0.9999)
                self.exit_at = i + self.hold_days

    data = pd.DataFrame({"Open": frame.close, "High": frame.close, "Low": frame.close, "Close": frame.close, "hike": frame.hike.astype(float)})
    bt = Backtest(data, Hike, cash=100_000, commission=FEES, trade_on_close=True, finalize_trades=True)
    out = []
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for h in holds:
            stats = bt.run(hold_days=h)
            out.append(float(stats["Return [%]"]) / 100)
    return time.perf_counter() - t, out


def run_backtrader(frame: pd.DataFrame, holds: list[int]) -> tuple[float, list[float]]:
    import backtrader as bt

    class Feed(bt.feeds.PandasData):
        lines = ("hike",)
        params = (("hike", -1),)

    class Hike(bt.Strategy):
        params = (("hold_days", 20),)

        def __init__(self):
            self.exit_at = None

        def next(self):
            i = len(self) - 1
            if self.position and self.exit_at is not None and i >= self.exit_at:
                self.close()
                self.exit_at = None
            elif not self.position and self.exit_at is None and self.data.hike[0] > 0.5:
                size = self.broker.getvalue() / self.data.close[0] * 0.9999
                self.sell(size=size)
                self.exit_at = i + self.p.hold_days

    data = pd.DataFrame({"open": frame.close, "high": frame.close, "low": frame.close, "close": frame.close, "volume": 0.0, "hike": frame.hike.astype(float)})
    out = []
    t = time.perf_counter()
    for h in holds:
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.adddata(Feed(dataname=data))
        cerebro.addstrategy(Hike, hold_days=h)
        cerebro.broker.setcash(100_000)
        cerebro.broker.setcommission(commission=FEES)
        cerebro.broker.set_coc(True)  # fill at the signal bar's close, as the other two
        cerebro.run(maxcpus=1)
        out.append(cerebro.broker.getvalue() / 100_000 - 1)
    return time.perf_counter() - t, out


def main() -> None:
    path, hold_max = sys.argv[1], int(sys.argv[2])
    frame = pd.read_csv(path, index_col="date", parse_dates=True)
    holds = list(range(1, hold_max + 1))
    result = {}
    for name, fn in (("backtesting.py", run_backtesting_py), ("backtrader", run_backtrader)):
        seconds, returns = fn(frame, holds)
        result[name] = {"seconds": seconds, "combos_per_second": len(holds) / seconds, "total_returns": returns}
    result["versions"] = {m: __import__(m).__version__ for m in ("backtesting", "backtrader", "pandas", "numpy")}
    json.dump(result, sys.stdout, default=float)
    print()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
