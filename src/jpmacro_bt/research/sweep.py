"""Parameter sweeps: every combination of a grid, simulated in vectorised chunks.

A sweep builds each combination of the grid (:mod:`jpmacro_bt.research.grid`)
through the strategy's own parameter parsing, computes its signals with the
strategy's pure ``signals()`` on the data cut at ``end`` (as a run does), and
stacks the combinations' signals as the columns of one vectorbt call per chunk
(:mod:`jpmacro_bt.research.chunks`). Combinations that differ only in
parameters that reach nothing but the simulator's settings (a stop-loss) share
one ``signals()`` call and differ only in those settings, column by column
(:func:`jpmacro_bt.research.chunks.find_execution`). Metrics are those of a run
(:func:`jpmacro_bt.research.stats.return_metrics`), computed over all columns
at once. Chunks are sized to stay inside a memory budget and run in-process or,
with ``executor="dask"``, on a Dask cluster; either way the results are identical.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.errors import SweepError, did_you_mean
from jpmacro_bt.engine.metrics import METRICS, RANKABLE, calendar_years
from jpmacro_bt.research.chunks import Task, chunk_metrics, chunk_size_for, find_execution, parse_memory, register, single_run
from jpmacro_bt.research.chunks import executor as make_executor
from jpmacro_bt.research.grid import Grid, show
from jpmacro_bt.catalog import StrategySpec

__all__ = ["Evaluation", "SweepOptions", "SweepResult", "evaluate", "run_sweep", "sweep_id"]


# --- evaluating a grid -------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """Metrics of every combination (rows in grid order) and the CSCV block sums (5 x blocks x combinations)."""

    table: pd.DataFrame
    blocks: np.ndarray | None
    chunks: int
    chunk_size: int


def _warm_up(spec: StrategySpec, combo: Mapping[str, Any], data, events, **kw) -> None:
    """One tiny simulation, so that what vectorbt and its compiled code hold counts in the baseline of the memory budget."""
    sig = spec.build(combo).signals(data, events).cut(kw.pop("start"), None)
    chunk_metrics([sig], **kw)


def _bounds(n: int, size: int, *, first: bool) -> list[tuple[int, int]]:
    """Chunk bounds of ``n`` combinations in chunks of ``size``; with ``first``, a small first chunk (a twentieth)
    whose time gives the progress estimate within seconds, however large the chunks after it."""
    if not first or n <= size:
        return [(lo, min(lo + size, n)) for lo in range(0, n, size)]
    head = max(1, size // 20)
    return [(0, head)] + [(lo, min(lo + size, n)) for lo in range(head, n, size)]


def evaluate(
    spec: StrategySpec,
    combos: Sequence[Mapping[str, Any]],
    data,
    *,
    start: pd.Timestamp | None,
    init_cash: float,
    size: float,
    costs: tuple[Any, Any, Any],
    executor,
    budget: int,
    bars: int,
    width: int = 1,
    chunk_size: int | None = None,
    edges: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    leverage: float | None = None,
) -> Evaluation:
    """Metrics of ``combos`` on ``data`` traded from ``start``, chunk by chunk on ``executor``.

    ``combos`` that differ only in execution parameters (found on ``data``
    by :func:`~jpmacro_bt.research.chunks.find_execution`) share their signals.
    """
    from jpmacro_bt.events import load_events

    source = register(spec)
    n = len(combos)
    events = load_events()
    if chunk_size is None and executor.name == "local":
        _warm_up(spec, combos[0], data, events, start=start, init_cash=init_cash, size=size, costs=costs, leverage=leverage)
    execution = find_execution(spec, combos, data, events)
    size_ = chunk_size or chunk_size_for(n, bars, width, budget, workers=executor.workers)
    tasks = [
        Task(k, spec.id, source, tuple(combos[lo:hi]), start, init_cash, size, costs, edges, leverage, execution)
        for k, (lo, hi) in enumerate(_bounds(n, size_, first=chunk_size is None))
    ]
    parts: dict[int, dict] = {}
    done = 0
    if progress:
        progress(0, n)
    for number, part in executor.map(tasks, data):
        parts[number] = part
        done += len(tasks[number].combos)
        if progress:
            progress(done, n)
    ordered = [parts[k] for k in range(len(tasks))]
    table = pd.DataFrame({k: np.concatenate([p[k] for p in ordered]) for k in (*METRICS, "bars", "first", "last")})
    blocks = np.concatenate([p["blocks"] for p in ordered], axis=2) if edges is not None else None
    return Evaluation(table, blocks, len(tasks), size_)


# --- the sweep ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep runs and what it reports (see ``jpmacro-bt sweep --help``)."""

    metric: str = "sharpe"
    top: int = 20
    heatmap: tuple[str, str] | None = None
    max_memory: int | None = None  # bytes; None = a quarter of RAM
    chunk_size: int | None = None
    executor: str = "local"
    scheduler: str | None = None
    pbo_blocks: int = 16
    bootstrap: int = 1000
    seed: int = 0
    walk_forward: int = 0
    wf_mode: str = "anchored"
    record: bool = True

    def check(self, grid: Grid) -> None:
        if self.metric not in RANKABLE:
            raise SweepError(f"unknown metric {self.metric!r}{did_you_mean(self.metric, RANKABLE)}; use one of {', '.join(RANKABLE)}")
        if self.top < 1:
            raise SweepError(f"--top {self.top}: show at least 1 row")
        if self.pbo_blocks < 2 or self.pbo_blocks % 2 or self.pbo_blocks > 24:
            raise SweepError(f"--pbo-blocks {self.pbo_blocks}: use an even number from 2 to 24 (16 is the paper's choice)")
        if self.bootstrap < 0:
            raise SweepError(f"--bootstrap {self.bootstrap}: use 0 (off) or more resamples, e.g. 1000")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise SweepError(f"--chunk-size {self.chunk_size}: use at least 1")
        if self.walk_forward < 0 or self.walk_forward == 1:
            raise SweepError(f"--walk-forward {self.walk_forward}: use 0 (off) or 2 or more folds")
        if self.wf_mode not in ("anchored", "rolling"):
            raise SweepError(f"--wf-mode {self.wf_mode!r}{did_you_mean(self.wf_mode, ('anchored', 'rolling'))}; use anchored or rolling")
        if self.heatmap is not None:
            for name in self.heatmap:
                if name not in grid.swept:
                    raise SweepError(f"--heatmap {name!r} is not a swept parameter{did_you_mean(name, grid.names)}; swept: {', '.join(grid.names) or 'none'}")
            if self.heatmap[0] == self.heatmap[1]:
                raise SweepError("--heatmap needs two different parameters, e.g. --heatmap hold_days,stop")


@dataclass(frozen=True)
class SweepResult:
    """Everything a sweep found; :func:`write_sweep` writes it.

    ``table`` has one row per combination in grid order: every parameter,
    the metrics of a run (``METRICS``) and ``rank`` by ``options.metric``
    (1 = best). ``best`` is the row of the best combination, ``best_strategy``
    that combination and ``best_returns`` its daily returns.
    """

    id: str
    spec: Any
    grid: Grid
    settings: Any
    options: SweepOptions
    table: pd.DataFrame
    best: int
    best_strategy: Any
    best_returns: pd.Series
    periods: int
    deflated: Any
    pbo: Any
    pbo_note: str | None
    bootstrap: Any
    trials: int
    trials_in_sweep: int
    warnings: tuple[str, ...]
    walk_forward: Any
    fingerprint: dict
    chunks: int
    chunk_size: int
    budget: int
    seconds: float
    created_at: datetime
    default_row: int | None = None
    costs: tuple[Any, Any, Any] = (0.0, 0.0, 0.0)  # fees, slippage, borrow as traded (per symbol for mixed baskets)

    @property
    def params(self) -> list[str]:
        return [f.name for f in self.spec.parameters()]


def default_start(spec: StrategySpec, settings, data) -> pd.Timestamp | None:
    """The first date traded: ``--start``, else once every symbol has data and the strategy's calendars have begun (as a run)."""
    from jpmacro_bt.engine.run import prepare

    return prepare((), spec.cls.calendars, settings, data=data).start


def _edges(index: pd.DatetimeIndex, n_blocks: int) -> np.ndarray | None:
    """First bar of each of ``n_blocks`` equal CSCV blocks; the ``len % n_blocks`` earliest bars are left out."""
    sub = len(index) // n_blocks
    if sub < 2:
        return None
    first = len(index) - sub * n_blocks
    return index[first::sub][:n_blocks].to_numpy(dtype="datetime64[ns]")


def sweep_id(spec: StrategySpec, grid: Grid, settings, now: datetime) -> str:
    """``<strategy>-<UTC time>-<6 hex of grid and settings>``."""
    key = json.dumps({"grid": grid.describe(), "fixed": dict(grid.fixed), "settings": vars(settings)}, sort_keys=True, default=str)
    return f"{spec.id}-{now:%Y%m%d-%H%M%S}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


def _choosing_param(grid: Grid, strategies) -> str:
    """The swept parameter whose values change the traded symbol (for the error message)."""
    for name in grid.names:
        traded_by_value: dict[Any, set[str]] = {}
        for s in strategies:
            traded_by_value.setdefault(getattr(s, name), set()).add(s.needs()[0])
        if len({frozenset(v) for v in traded_by_value.values()}) > 1:
            return name
    return "asset"


def _check_one_asset(spec: StrategySpec, grid: Grid, traded: Sequence[str], params: Sequence[Mapping[str, Any]]) -> None:
    if len(traded) > 1:
        strategies = [spec.build(p) for p in params]
        raise SweepError(
            f"the grid changes what {spec.id} trades ({', '.join(traded)}): one sweep shares one calendar and one set "
            f"of costs, so sweep one at a time, e.g. --param {_choosing_param(grid, strategies)}={traded[1]}"
        )


@dataclass(frozen=True)
class _Plan:
    """The sweep's combinations and what every chunk shares."""

    params: list[dict[str, Any]]  # every parameter of each combination, in grid order
    needs: list[str]  # every symbol some combination reads
    default_row: int | None
    budget: int

    def strategy(self, spec: StrategySpec, row: int):
        return spec.build(self.params[row])


def _plan(spec: StrategySpec, grid: Grid, options: SweepOptions) -> _Plan:
    params, traded, needs = [], {}, {}
    for combo in grid.combos():
        strategy = spec.build(combo)  # every combination valid before any work; only its parameters are kept
        params.append(strategy.params())
        reads = strategy.needs()
        traded.setdefault(reads[0], None)
        needs.update(dict.fromkeys(reads))
    _check_one_asset(spec, grid, list(traded), params)
    defaults = spec.build(dict(grid.fixed)).params()
    default_row = next((i for i, p in enumerate(params) if p == defaults), None)
    budget = parse_memory(None) if options.max_memory is None else options.max_memory
    return _Plan(params, list(needs), default_row, budget)


def _simulate_grid(spec, plan: _Plan, ready, index, costs, width, settings, options, progress):
    """Every combination, the best one run on its own and, with ``options.walk_forward``, the walk-forward."""
    from jpmacro_bt.engine.metrics import periods_per_year

    kw = dict(init_cash=settings.init_cash, size=settings.size, costs=costs, leverage=settings.leverage)
    data, start = ready.data, ready.start
    edges = _edges(index, options.pbo_blocks) if len(plan.params) >= 2 else None
    with make_executor(options.executor, options.scheduler) as executor:
        ev = evaluate(
            spec, plan.params, data, start=start, executor=executor, budget=plan.budget, bars=len(index), width=width,
            chunk_size=options.chunk_size, edges=edges, progress=(lambda d, n: progress("sweep", d, n)) if progress else None, **kw,
        )
        score = ev.table[options.metric].to_numpy(dtype=float)
        best = int(np.argmax(np.where(np.isnan(score), -np.inf, score)))
        best_returns, _ = single_run(spec, plan.strategy(spec, best), data, start=start, end=None, **kw)
        wf = None
        if options.walk_forward:
            from jpmacro_bt.research.walkforward import walk_forward

            wf = walk_forward(
                spec, plan.params, data=data, index=index, start=start, metric=options.metric, folds=options.walk_forward,
                mode=options.wf_mode, evaluate=lambda d, s, bars: evaluate(
                    spec, plan.params, d, start=s, executor=executor, budget=plan.budget, bars=bars, width=width,
                    chunk_size=options.chunk_size, progress=(lambda done, n: progress("walk-forward", done, n)) if progress else None, **kw,
                ).table,
                default_row=plan.default_row,
                single=lambda strategy, d, s, e: single_run(spec, strategy, d, start=s, end=e, **kw),
            )
    return ev, best, best_returns, wf, periods_per_year(index)


def _trials(spec: StrategySpec, plan: _Plan, table: pd.DataFrame, rid: str, digest: str, periods: int, settings, costs) -> list[Any]:
    from jpmacro_bt.research import ledger

    trial_settings = {"init_cash": settings.init_cash, "size": settings.size, "fees": costs[0], "slippage": costs[1], "borrow": costs[2]}
    return [
        ledger.Trial(
            strategy=spec.id, params=p, start=f"{pd.Timestamp(f):%Y-%m-%d}", end=f"{pd.Timestamp(la):%Y-%m-%d}",
            bars=int(b), periods_per_year=periods, settings=trial_settings, data_digest=digest,
            sharpe=None if math.isnan(sh) else float(sh), trades=int(tr), kind="sweep", source_id=rid,
        )
        for p, f, la, b, sh, tr in zip(plan.params, table["first"], table["last"], table["bars"], table["sharpe"], table["trades"])
    ]


def _pbo(ev: Evaluation, n_combos: int, bars: int, options: SweepOptions, periods: int) -> tuple[Any, str | None]:
    from jpmacro_bt.research import stats

    if n_combos < 2:
        return None, "one combination: nothing was selected, so there is nothing to overfit"
    if ev.blocks is None:
        return None, f"{bars} bars are too few for {options.pbo_blocks} CSCV blocks of at least 2 bars; lower --pbo-blocks"
    metric = options.metric if options.metric != "max_drawdown" else "sharpe"
    note = "max drawdown cannot be rebuilt from block sums: PBO ranks by Sharpe ratio" if metric != options.metric else None
    return stats.pbo_from_blocks(ev.blocks, metric, periods), note


def _trade_warnings(table: pd.DataFrame, best: int, combo: Mapping[str, Any], grid: Grid) -> list[str]:
    from jpmacro_bt.research import stats

    out = []
    label = ", ".join(f"{k}={show(combo[k])}" for k in grid.swept) or "the only combination"
    if (w := stats.too_few_trades(int(table["trades"].iloc[best]), f"the best combination ({label})")) is not None:
        out.append(w)
    few = int((table["trades"] < stats.MIN_TRADES).sum())
    if few and few < len(table):
        out.append(f"{few:,} of {len(table):,} combinations made fewer than {stats.MIN_TRADES} trades")
    return out


def _ranked(spec: StrategySpec, params: Sequence[Mapping[str, Any]], table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per combination: every parameter, the metrics of a run and ``rank`` by ``metric`` (1 = best)."""
    score = table[metric].to_numpy(dtype=float)
    order = np.argsort(-np.where(np.isnan(score), -np.inf, score), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    # object columns keep None as None (a float column would turn it into NaN)
    columns = {}
    for name in (f.name for f in spec.parameters()):
        values = [p[name] for p in params]
        columns[name] = pd.Series(values, dtype=object) if any(v is None for v in values) else pd.Series(values)
    out = pd.DataFrame(columns)
    for k in METRICS:
        out[k] = table[k].to_numpy()
    out["trades"] = out["trades"].astype("int64")
    out["rank"] = rank
    return out


def run_sweep(
    spec: StrategySpec,
    grid: Grid,
    settings,
    options: SweepOptions = SweepOptions(),
    *,
    data=None,
    progress: Callable[[str, int, int], None] | None = None,
    now: datetime | None = None,
) -> SweepResult:
    """Run every combination of ``grid`` under ``settings`` (a :class:`~jpmacro_bt.engine.run.RunSettings`).

    Then: the best combination by ``options.metric`` run on its own, its
    deflated Sharpe ratio over all trials in the ledger, the probability of
    backtest overfitting of the grid (CSCV), bootstrap intervals, warnings for
    too few trades, the trials appended to the ledger and, with
    ``options.walk_forward``, a walk-forward validation.

    ``progress(stage, done, total)`` is called as combinations finish.
    """
    from jpmacro_bt.engine.run import check_period, package_warnings, prepare
    from jpmacro_bt.research import ledger, stats

    options.check(grid)
    if options.executor != "local" and spec.path is None:
        raise SweepError(f"{spec.id} is defined in this session, not in a file, so Dask workers cannot load it; use executor='local' or save it to a strategies folder")
    t0 = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    plan = _plan(spec, grid, options)
    with package_warnings() as caught:
        needed = plan.needs
        ready = prepare(needed, spec.cls.calendars, settings, data=data)
        first = plan.strategy(spec, 0)
        reference = first.signals(ready.data, ready.events).cut(ready.start, None)
        index = reference.close.index
        check_period(spec.id, index, settings, ready.calendars, what="sweep")
        width = reference.close.shape[1] if isinstance(reference.close, pd.DataFrame) else 1
        costs = settings.costs_for(first, reference.close)
        ev, best, best_returns, wf, periods = _simulate_grid(spec, plan, ready, index, costs, width, settings, options, progress)
    if wf is not None:
        caught.extend(wf.warnings)
    rid = sweep_id(spec, grid, settings, now)
    # The trial ledger: record this sweep, then price the best result against every trial ever made.
    trials = _trials(spec, plan, ev.table, rid, ledger.data_digest(ready.data.fingerprint()), periods, settings, costs)
    own = {t.key: t.sharpe / math.sqrt(periods) for t in trials if t.sharpe is not None}
    if options.record:
        ledger.record(trials)
    # Every distinct trial ever made on the strategy, this sweep's included (recorded or not).
    sharpes = list({**ledger.trial_sharpes(spec.id), **own}.values())
    sr, skew, kurt, n_obs = stats.moments(best_returns.to_numpy())
    variance = float(np.var(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    deflated = stats.deflated_sharpe(sr, n_obs, skew, kurt, max(len(sharpes), 1), variance)
    pbo_result, pbo_note = _pbo(ev, len(plan.params), len(index), options, periods)
    years = calendar_years(best_returns.index)
    boot = stats.bootstrap(best_returns.to_numpy(), periods, years=years, samples=options.bootstrap, seed=options.seed) if options.bootstrap else None
    caught.extend(_trade_warnings(ev.table, best, plan.params[best], grid))
    return SweepResult(
        id=rid, spec=spec, grid=grid, settings=settings, options=options, table=_ranked(spec, plan.params, ev.table, options.metric),
        best=best, best_strategy=plan.strategy(spec, best), best_returns=best_returns, periods=periods,
        deflated=deflated, pbo=pbo_result, pbo_note=pbo_note, bootstrap=boot, trials=len(sharpes), trials_in_sweep=len(own),
        warnings=tuple(dict.fromkeys(caught)), walk_forward=wf, fingerprint=ready.data.fingerprint(), chunks=ev.chunks,
        chunk_size=ev.chunk_size, budget=plan.budget, seconds=time.perf_counter() - t0, created_at=now, default_row=plan.default_row,
        costs=costs,
    )
