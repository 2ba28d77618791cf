"""A hand-written raw vectorbt sweep, as one whole process: what ``jpmacro-bt sweep`` is measured against.

    .venv/bin/python benchmarks/raw_sweep.py HOLD_MAX STOP_FIRST STOP_LAST STOP_STEP

The grid of ``jpmacro-bt sweep boj_hike_long_jpy --grid hold_days=1:HOLD_MAX
--grid stop=FIRST:LAST:STEP``, written as a vectorbt user would: the strategy's
own ``signals()`` once per ``hold_days`` (the stop does not change them), every
(hold_days, stop) pair one column of a single ``Portfolio.from_signals`` call
with the package's trading settings, then vectorbt's own metrics. vectorbt is
used as installed: its signal simulator is compiled in this process, as it is
for any vectorbt user. Prints one JSON line (seconds by stage, combinations).
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

T0 = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import vectorbt as vbt  # noqa: E402

from jpmacro_bt.catalog import find  # noqa: E402
from jpmacro_bt.data import load_market_data  # noqa: E402
from jpmacro_bt.engine.run import RunSettings, prepare  # noqa: E402


def main() -> None:
    hold_max = int(sys.argv[1])
    first, last, step = (Decimal(x) for x in sys.argv[2:5])
    stops = [float(first + i * step) for i in range(int((last - first) / step) + 1)]
    imported = time.perf_counter()
    spec = find("boj_hike_long_jpy")
    settings = RunSettings()
    ready = prepare(spec.cls.symbols, spec.cls.calendars, settings, data=load_market_data(list(spec.cls.symbols)))
    sigs = [spec.build({"hold_days": h}).signals(ready.data, ready.events).cut(ready.start, None) for h in range(1, hold_max + 1)]
    fees, slippage, _ = settings.costs(spec.build({}))
    close = sigs[0].close
    n = len(stops)
    short_entries = np.repeat(np.column_stack([s.short_entries.to_numpy() for s in sigs]), n, axis=1)
    short_exits = np.repeat(np.column_stack([s.short_exits.to_numpy() for s in sigs]), n, axis=1)
    sl_stop = np.tile(np.asarray(stops), hold_max)[None, :]
    signalled = time.perf_counter()
    pf = vbt.Portfolio.from_signals(
        close, entries=False, exits=False, short_entries=pd.DataFrame(short_entries, index=close.index),
        short_exits=pd.DataFrame(short_exits, index=close.index), size=1.0, size_type="percent", accumulate=False,
        upon_opposite_entry="reverse", upon_long_conflict="entry", upon_short_conflict="entry", upon_dir_conflict="ignore",
        sl_stop=sl_stop, stop_entry_price="close", stop_exit_price="close", upon_stop_exit="close",
        init_cash=100_000.0, fees=fees, fixed_fees=0.0, slippage=slippage, freq="1D",
    )
    acc = pf.returns().vbt.returns(freq="1D", year_freq="252 days")
    metrics = {
        "total_return": acc.total(), "cagr": acc.annualized(), "sharpe": acc.sharpe_ratio(), "sortino": acc.sortino_ratio(),
        "max_drawdown": acc.max_drawdown(), "volatility": acc.annualized_volatility(),
        "trades": pf.positions.count(), "win_rate": pf.positions.win_rate(), "exposure": pf.position_mask().mean(),
    }
    done = time.perf_counter()
    best = int(np.nanargmax(metrics["sharpe"].to_numpy()))
    print(json.dumps({
        "combinations": hold_max * n, "import_s": imported - T0, "signals_s": signalled - imported, "simulate_and_metrics_s": done - signalled,
        "best_sharpe": float(metrics["sharpe"].iloc[best]), "total_return_of_best": float(metrics["total_return"].iloc[best]),
    }))


if __name__ == "__main__":
    main()
