"""Benchmarks of ``jpmacro-bt sweep``, run by hand; each figure is a ratio measured side by side in one run.

    .venv/bin/python benchmarks/bench_sweep.py [--frameworks-python /tmp/bench-venv/bin/python] [--quick]

1. Overhead against raw vectorbt: the same precomputed signals and grid simulated by the sweep engine
   (:func:`jpmacro_bt.research.chunks.chunk_metrics`) and by a hand-written ``vbt.Portfolio.from_signals`` call
   followed by vectorbt's own metrics; then end to end (``run_sweep``: signals, simulation, metrics, the
   best combination's run, deflated Sharpe, PBO, bootstrap) against raw vectorbt given the same
   per-combination ``signals()`` calls.
2. Throughput against backtrader and backtesting.py (``benchmarks/frameworks.py`` in its own venv):
   combinations per second on 10 years of daily USDJPY.
3. Memory: peak RSS of a 10,000-combination ``jpmacro-bt sweep`` against its ``--max-memory``.
4. Cold against warm runs: the same small sweep in a fresh process with an empty and with a filled
   Numba compile cache.

Everything runs on the embedded ECB data (offline) with boj_hike_long_jpy. The numbers land in
README.md beside this file by hand. Nothing here is collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def paired(a, b, repeat: int) -> tuple[float, float, object, object]:
    """Fastest of ``repeat`` runs of each, run in turns (a, b, a, b, ...) so that a busy machine slows both alike."""
    ta, tb, oa, ob = [], [], None, None
    for _ in range(repeat):
        t = time.perf_counter()
        oa = a()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        ob = b()
        tb.append(time.perf_counter() - t)
    return min(ta), min(tb), oa, ob


def setup():
    from jpmacro_bt.data import load_market_data
    from jpmacro_bt.events import load_events
    from jpmacro_bt.engine.run import RunSettings
    from jpmacro_bt.catalog import find
    from jpmacro_bt.research.sweep import default_start

    spec = find("boj_hike_long_jpy")
    data = load_market_data(spec.cls.symbols)
    settings = RunSettings(borrow=0.0)
    return spec, data, load_events(), settings, default_start(spec, settings, data)


def raw_vectorbt(signals, fees: float, slippage: float):
    """A hand-written vectorbt sweep: one from_signals call over all columns, then vectorbt's metrics."""
    from jpmacro_bt.engine.simulate import _vbt

    vbt = _vbt()
    close = signals[0].close
    short_entries = pd.DataFrame(np.column_stack([s.short_entries.to_numpy() for s in signals]), index=close.index)
    short_exits = pd.DataFrame(np.column_stack([s.short_exits.to_numpy() for s in signals]), index=close.index)
    stops = np.array([np.nan if s.sl_stop is None else s.sl_stop for s in signals])[None, :]
    pf = vbt.Portfolio.from_signals(
        close, entries=False, exits=False, short_entries=short_entries, short_exits=short_exits,
        size=1.0, size_type="percent", accumulate=False, upon_opposite_entry="reverse", sl_stop=stops,
        stop_entry_price="close", stop_exit_price="close", upon_stop_exit="close",
        init_cash=100_000.0, fees=fees, fixed_fees=0.0, slippage=slippage, freq="1D",
    )
    acc = pf.returns().vbt.returns(freq="1D", year_freq="252 days")
    return {
        "total_return": acc.total(), "cagr": acc.annualized(), "sharpe": acc.sharpe_ratio(), "sortino": acc.sortino_ratio(),
        "max_drawdown": acc.max_drawdown(), "volatility": acc.annualized_volatility(),
        "trades": pf.positions.count(), "win_rate": pf.positions.win_rate(), "exposure": pf.position_mask().mean(),
    }


def overhead(repeat: int, hold_max: int) -> dict:
    from jpmacro_bt.research.chunks import chunk_metrics
    from jpmacro_bt.research.grid import parse_grid
    from jpmacro_bt.research.sweep import SweepOptions, run_sweep

    spec, data, events, settings, start = setup()
    grid = parse_grid(spec, [f"hold_days=1:{hold_max}", "stop=none,0.001:0.039:0.001"])
    strategies = [spec.build(c) for c in grid.combos()]
    fees, slippage, borrow = settings.costs(strategies[0])

    def signals():
        return [s.signals(data, events).cut(start, None) for s in strategies]

    sigs = signals()
    engine = lambda: chunk_metrics(sigs, init_cash=100_000.0, size=1.0, costs=(fees, slippage, borrow))  # noqa: E731
    raw = lambda: raw_vectorbt(sigs, fees, slippage)  # noqa: E731
    engine(), raw()  # compile / warm
    t_engine, t_raw, ours, theirs = paired(engine, raw, 2 * repeat)
    agree = float(np.nanmax(np.abs(ours["total_return"] - theirs["total_return"].to_numpy())))
    options = SweepOptions(record=False)
    t_sweep, t_signals, _, _ = paired(lambda: run_sweep(spec, grid, settings, options, data=data), signals, repeat)
    return {
        "combinations": len(strategies), "bars": len(sigs[0].close),
        "engine_s": t_engine, "raw_vectorbt_s": t_raw, "engine_over_raw": t_engine / t_raw,
        "max_abs_total_return_difference": agree,
        "signals_s": t_signals, "sweep_end_to_end_s": t_sweep, "raw_end_to_end_s": t_signals + t_raw,
        "end_to_end_over_raw": t_sweep / (t_signals + t_raw),
    }


def frameworks(python: str | None, repeat: int) -> dict:
    from jpmacro_bt.research.chunks import chunk_metrics
    from jpmacro_bt.research.grid import parse_grid
    from jpmacro_bt.research.sweep import SweepOptions, run_sweep

    spec, data, events, settings, start = setup()
    hold_max = 60
    grid = parse_grid(spec, [f"hold_days=1:{hold_max}"])
    strategies = [spec.build(c) for c in grid.combos()]
    fees, slippage, _ = settings.costs(strategies[0])
    same = replace_costs(settings, fees=fees, slippage=0.0)  # the frameworks are given fees only
    t_sweep, result = best_of(lambda: run_sweep(spec, grid, same, SweepOptions(record=False, bootstrap=0), data=data), repeat)
    sigs = [s.signals(data, events).cut(start, None) for s in strategies]
    t_engine, _ = best_of(lambda: chunk_metrics(sigs, init_cash=100_000.0, size=1.0, costs=(fees, 0.0, 0.0)), repeat)
    out = {"combinations": hold_max, "bars": len(sigs[0].close), "period": f"{sigs[0].close.index[0]:%Y-%m-%d} .. {sigs[0].close.index[-1]:%Y-%m-%d}",
           "jpmacro-bt sweep": hold_max / t_sweep, "jpmacro-bt engine": hold_max / t_engine}
    if python:
        frame = pd.DataFrame({"close": sigs[0].close, "hike": events.boj.tradable(data.bar_close("USDJPY"), decision="hike").reindex(sigs[0].close.index)})
        csv = Path(tempfile.mkdtemp()) / "usdjpy_hikes.csv"
        frame.rename_axis("date").to_csv(csv)
        done = subprocess.run([python, str(ROOT / "benchmarks" / "frameworks.py"), str(csv), str(hold_max)], capture_output=True, text=True, check=True)
        theirs = json.loads(done.stdout)
        ours = result.table["total_return"].to_numpy()
        for name in ("backtesting.py", "backtrader"):
            out[name] = theirs[name]["combos_per_second"]
            out[f"max_abs_total_return_difference vs {name}"] = float(np.max(np.abs(ours - np.array(theirs[name]["total_returns"]))))
        out["versions"] = theirs["versions"]
    return out


def replace_costs(settings, **kw):
    from dataclasses import replace

    return replace(settings, **kw)


def _child(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes and stdout of one child process.

    The peak is the child's own ``VmHWM`` (Linux), read every 50 ms until it exits: ``ru_maxrss`` of a
    child would start from this (large) process's RSS, copied at fork.
    """
    import threading

    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    streams: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, f=f: streams.__setitem__(k, f.read())) for k, f in (("out", proc.stdout), ("err", proc.stderr))]
    for r in readers:
        r.start()
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status", encoding="ascii") as fh:
                peak = max([peak] + [int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:")])
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    for r in readers:
        r.join()
    seconds = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed:\n{streams['err'][-3000:]}")
    return seconds, peak, streams["out"]


def memory(budget: str) -> dict:
    from jpmacro_bt.research.chunks import parse_memory

    reports = tempfile.mkdtemp()
    env = {**os.environ, "COLUMNS": "200"}
    cmd = [str(BIN / "jpmacro-bt"), "sweep", "boj_hike_long_jpy", "--grid", "hold_days=1:250", "--grid", "stop=0.001:0.04:0.001",
           "--max-memory", budget, "--no-record", "--reports-dir", reports]
    seconds, peak, out = _child(cmd, env)
    summary = json.loads(next(Path(reports).glob("sweep-*/summary.json")).read_text())
    limit = parse_memory(budget)
    return {"combinations": summary["combinations"], "budget_bytes": limit, "peak_rss_bytes": peak, "peak_over_budget": peak / limit,
            "chunks": summary["execution"]["chunks"], "chunk_size": summary["execution"]["chunk_size"], "seconds": seconds,
            "combos_per_second": summary["combinations"] / seconds}


COLD = """
import time, sys
t0 = time.perf_counter()
from jpmacro_bt.catalog import find
from jpmacro_bt.engine.run import RunSettings
from jpmacro_bt.research.grid import parse_grid
from jpmacro_bt.research.sweep import SweepOptions, run_sweep
spec = find("boj_hike_long_jpy")
t = time.perf_counter()
run_sweep(spec, parse_grid(spec, ["hold_days=1:60"]), RunSettings(), SweepOptions(record=False))
print(time.perf_counter() - t)
"""


def cold_warm() -> dict:
    cache = tempfile.mkdtemp()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(cache) / "numba"), "JPMACRO_CACHE_DIR": cache}
    cold_wall, _, cold_sweep = _child([sys.executable, "-c", COLD], env)
    warm_wall, _, warm_sweep = _child([sys.executable, "-c", COLD], env)
    return {"cold_process_s": cold_wall, "warm_process_s": warm_wall, "cold_over_warm_process": cold_wall / warm_wall,
            "cold_sweep_s": float(cold_sweep), "warm_sweep_s": float(warm_sweep), "cold_over_warm_sweep": float(cold_sweep) / float(warm_sweep)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks-python", default="/tmp/bench-venv/bin/python", help="python of the venv with backtrader and backtesting.py ('' to skip)")
    parser.add_argument("--memory-budget", default="1GiB")
    parser.add_argument("--quick", action="store_true", help="smaller grids, one repeat (a smoke test of this script)")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    python = args.frameworks_python if args.frameworks_python and Path(args.frameworks_python).exists() else None
    results = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "overhead": overhead(repeat, 5 if args.quick else 50),
        "frameworks": frameworks(python, repeat),
        "cold_warm": cold_warm(),
    }
    if not args.quick:
        results["memory"] = memory(args.memory_budget)
    print(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
