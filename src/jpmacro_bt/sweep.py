"""Parameter sweeps: every combination of a grid, simulated in vectorised chunks.

A sweep builds each combination of the grid through the strategy's own
parameter parsing (:meth:`StrategySpec.build`), computes its signals with the
strategy's pure ``signals()`` on the data cut at ``end`` (as a run does), and
stacks the combinations' signals as the columns of one vectorbt call per chunk
(:func:`jpmacro_bt.runner.backtest_many`: the settings of a single run, each
column its own portfolio). Metrics are those of a run
(:func:`jpmacro_bt.stats.return_metrics`), computed over all columns at once.

Chunks are sized to stay inside a memory budget and run in-process or, with
``executor="dask"``, on a Dask cluster; either way the results are identical.

Grid syntax (one ``--grid`` per parameter)::

    hold_days=1:60          first:last, step 1 (int parameters only)
    threshold=0.01:0.05:0.005
                            first:last:step; last is included when it lands on
                            the grid (computed in decimal, so 0.05 does)
    stop=none,0.01,0.02     a list, each value parsed like --param
    stop=none,0.01:0.05:0.01
                            a list whose items may be ranges

Without any ``--grid`` the sweep runs every parameter's ``grid`` metadata.
Parameters not swept keep their default or their ``--param`` value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tempfile
import time
import typing
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, JpMacroWarning, StrategyError, SweepError, did_you_mean
from .strategy import StrategySpec, load_strategy

__all__ = [
    "BYTES_PER_CELL",
    "METRICS",
    "Grid",
    "SweepError",
    "SweepOptions",
    "SweepResult",
    "chunk_metrics",
    "chunk_size_for",
    "evaluate",
    "parse_grid",
    "parse_memory",
    "run_chunk",
    "run_sweep",
    "write_sweep",
]

METRICS = ("sharpe", "sortino", "cagr", "total_return", "max_drawdown")  # choosable: higher is better for each
TABLE_METRICS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility", "trades", "win_rate", "exposure")
# Peak memory per bar and combination of a chunk (signals, vectorbt's arrays, returns, metrics), measured
# on 10-year daily sweeps (benchmarks/README.md) with headroom.
BYTES_PER_CELL = 160
MAX_CHUNK = 2000  # columns per vectorbt call; beyond this the per-call overhead is already negligible
MAX_COMBINATIONS = 1_000_000
DASK_CONNECT_TIMEOUT = "20s"  # how long to wait for --scheduler to answer


# --- grid --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """Swept parameters with their values (in the order given) and fixed overrides."""

    swept: Mapping[str, tuple[Any, ...]]
    fixed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.swept)

    def __len__(self) -> int:
        return math.prod(len(v) for v in self.swept.values())

    def combos(self) -> list[dict[str, Any]]:
        """Overrides of every combination; the first parameter varies slowest."""
        names = self.names
        return [{**self.fixed, **dict(zip(names, values))} for values in itertools.product(*self.swept.values())]

    def describe(self) -> dict[str, list[Any]]:
        return {k: list(v) for k, v in self.swept.items()}


def _base_type(hint: Any) -> Any:
    args = typing.get_args(hint)
    return next((a for a in args if a is not type(None)), hint) if args else hint


def _typed(spec: StrategySpec, name: str, raw: str) -> Any:
    """``raw`` parsed and checked by the strategy itself, exactly as ``--param name=raw``."""
    return getattr(spec.build({name: raw.strip()}), name)


def _unknown(spec: StrategySpec, name: str) -> StrategyError:
    fields = [f.name for f in spec.parameters()]
    return StrategyError(
        f"unknown parameter {name!r} for {spec.id}{did_you_mean(name, fields)}; its parameters are: {', '.join(fields) or 'none'}"
    )


def _range(spec: StrategySpec, name: str, text: str, hint: Any) -> list[Any]:
    parts = [p.strip() for p in text.split(":")]
    example = f"--grid {name}=1:60 or --grid {name}=1:60:5"
    if len(parts) not in (2, 3) or not all(parts):
        raise StrategyError(f"--grid {name}={text}: a range is FIRST:LAST or FIRST:LAST:STEP, e.g. {example}")
    base = _base_type(hint)
    if base not in (int, float):
        raise StrategyError(f"--grid {name}={text}: {name} is not a number, so it has no range; list its values, e.g. --grid {name}=a,b")
    first, last = _typed(spec, name, parts[0]), _typed(spec, name, parts[1])
    if first is None or last is None:
        raise StrategyError(f"--grid {name}={text}: a range needs numbers at both ends; list none with the values instead, e.g. {name}=none,0.01,0.02")
    if len(parts) == 2 and base is float:
        raise StrategyError(f"--grid {name}={text}: a float range needs a step, e.g. --grid {name}={parts[0]}:{parts[1]}:0.005")
    try:
        step = Decimal(parts[2]) if len(parts) == 3 else Decimal(1)
        lo, hi = Decimal(parts[0]), Decimal(parts[1])
    except InvalidOperation:
        raise StrategyError(f"--grid {name}={text}: the step {parts[2]!r} is not a number, e.g. {example}") from None
    if not step.is_finite() or step <= 0:
        raise StrategyError(f"--grid {name}={text}: the step must be above 0, e.g. {example}")
    if base is int and step != step.to_integral_value():
        raise StrategyError(f"--grid {name}={text}: {name} is an int, so the step must be a whole number")
    if lo > hi:
        raise StrategyError(f"--grid {name}={text}: FIRST is above LAST; write {name}={parts[1]}:{parts[0]}" + (f":{parts[2]}" if len(parts) == 3 else ""))
    count = int((hi - lo) / step) + 1
    if count > MAX_COMBINATIONS:
        raise StrategyError(f"--grid {name}={text} has {count:,} values; use a coarser step")
    return [base(lo + i * step) for i in range(count)]


def parse_grid(spec: StrategySpec, items: Sequence[str] = (), fixed: Mapping[str, str] | None = None) -> Grid:
    """The grid of ``--grid`` items (see the module docstring), parameters fixed by ``--param`` aside.

    Every value goes through the strategy's own parsing and bounds, so a bad
    one gets the same message as ``--param``. With no items, every parameter
    with ``grid`` metadata is swept over it.
    """
    fields = {f.name: f for f in spec.parameters()}
    hints = typing.get_type_hints(spec.cls)
    fixed_values: dict[str, Any] = {}
    for name, raw in (fixed or {}).items():
        if name not in fields:
            raise _unknown(spec, name)
        fixed_values[name] = _typed(spec, name, raw) if isinstance(raw, str) else raw
    swept: dict[str, tuple[Any, ...]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise StrategyError(f"--grid {item!r} is not NAME=VALUES; e.g. --grid hold_days=1:60, --grid hold_days=1:60:5 or --grid stop=none,0.01,0.02")
        if name not in fields:
            raise _unknown(spec, name)
        if name in swept:
            raise StrategyError(f"--grid {name} is given twice; put all its values in one --grid, e.g. {name}=1,5,10")
        if name in fixed_values:
            raise StrategyError(f"{name} is both swept (--grid) and fixed (--param); drop one of them")
        raws = [v.strip() for v in text.split(",")]
        if not all(raws):
            raise StrategyError(f"--grid {name}={text}: an empty value; separate values with single commas, e.g. {name}=1,5,10")
        values = [v for raw in raws for v in (_range(spec, name, raw, hints[name]) if ":" in raw else [_typed(spec, name, raw)])]
        swept[name] = tuple(dict.fromkeys(values))  # duplicates once, order kept
    if not items:
        for name, f in fields.items():
            values = f.metadata.get("grid", ())
            if values and name not in fixed_values:
                for v in values:
                    spec.build({**fixed_values, name: v})
                swept[name] = tuple(dict.fromkeys(values))
    grid = Grid(swept, fixed_values)
    if len(grid) > MAX_COMBINATIONS:
        raise StrategyError(f"the grid has {len(grid):,} combinations (more than {MAX_COMBINATIONS:,}); use coarser steps or fewer values")
    return grid


# --- memory ------------------------------------------------------------------------------

_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "kib": 2**10, "m": 1e6, "mb": 1e6, "mib": 2**20, "g": 1e9, "gb": 1e9, "gib": 2**30, "t": 1e12, "tb": 1e12, "tib": 2**40}


def total_memory() -> int:
    """Physical memory of this machine in bytes (0 when the platform does not tell)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux/macOS
        return 0


def current_memory() -> int:
    """Resident memory of this process in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


def parse_memory(text: str | None) -> int:
    """Bytes of ``--max-memory``: ``2G``, ``1.5GiB``, ``500MB``, ``25%`` (of RAM); None = a quarter of RAM."""
    ram = total_memory()
    if text is None:
        return ram // 4 if ram else 2 * 2**30
    raw = text.strip().lower().replace(" ", "")
    try:
        if raw.endswith("%"):
            pct = float(raw[:-1])
            if not 0 < pct <= 100 or not ram:
                raise ValueError
            return int(ram * pct / 100)
        number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = raw[len(number):]
        value = int(float(number) * _UNITS[unit])
        if value <= 0:
            raise ValueError
        return value
    except (ValueError, KeyError):
        raise SweepError(f"--max-memory {text!r} is not a size; e.g. --max-memory 4G, 500MB or 25%") from None


def chunk_size_for(n_combos: int, bars: int, width: int, budget: int, *, baseline: int | None = None, workers: int = 1) -> int:
    """Combinations per chunk so that one chunk's peak stays inside ``budget`` bytes.

    A combination of ``width`` assets over ``bars`` bars needs about
    ``BYTES_PER_CELL * bars * width`` bytes while its chunk runs; what this
    process already holds (``baseline``, default its resident memory) comes off
    the budget first. With several workers chunks are made small enough that
    each gets at least two.
    """
    baseline = current_memory() if baseline is None else baseline
    per_combo = BYTES_PER_CELL * max(bars, 1) * max(width, 1)
    room = budget - baseline
    if room < per_combo:
        need = (baseline + per_combo) / 2**20
        raise SweepError(f"--max-memory {budget / 2**20:,.0f} MiB is too small: this process holds {baseline / 2**20:,.0f} MiB and one combination needs "
                         f"{per_combo / 2**20:,.1f} MiB more; give at least {math.ceil(need):,} MiB")
    size = min(n_combos, MAX_CHUNK, room // per_combo)
    if workers > 1:
        size = min(size, max(1, math.ceil(n_combos / (2 * workers))))
    return max(1, int(size))


# --- one chunk ---------------------------------------------------------------------------

_SPECS: dict[str, StrategySpec] = {}


def _source_key(strategy_id: str, source: str) -> str:
    return hashlib.sha256(f"{strategy_id}\n{source}".encode()).hexdigest()[:16]


def _spec_for(strategy_id: str, source: str) -> StrategySpec:
    """The strategy of this source text, loaded once per process (a Dask worker needs no shared folder)."""
    key = _source_key(strategy_id, source)
    spec = _SPECS.get(key)
    if spec is None:
        folder = Path(tempfile.gettempdir()) / "jpmacro-bt-strategies" / key
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{strategy_id}.py"
        if not path.exists():
            tmp = folder / f".{os.getpid()}-{strategy_id}.py"
            tmp.write_text(source, encoding="utf-8")
            os.replace(tmp, path)
        spec = _SPECS[key] = load_strategy(path)
    return spec


@dataclass(frozen=True)
class Task:
    """What one chunk needs besides the data: the strategy's source, its combinations and the run settings."""

    number: int
    strategy_id: str
    source: str
    combos: tuple[Mapping[str, Any], ...]
    start: pd.Timestamp | None
    init_cash: float
    size: float
    costs: tuple[Any, Any, Any]  # fees, slippage, borrow
    edges: np.ndarray | None = None  # first bar of each CSCV block (datetime64), None = no block sums


def _block_ids(index: pd.DatetimeIndex, edges: np.ndarray | None) -> np.ndarray | None:
    if edges is None:
        return None
    return np.searchsorted(edges, index.to_numpy(dtype="datetime64[ns]"), side="right") - 1


def run_chunk(task: Task, data) -> dict[str, Any]:
    """Simulate one chunk of combinations; plain arrays in, plain arrays out (runs on any worker).

    Computes each combination's signals with the strategy's own ``signals()``
    on ``data``, cut at ``task.start``, then :func:`chunk_metrics`.
    """
    from .events import load_events

    spec = _spec_for(task.strategy_id, task.source)
    events = load_events()
    signals = [spec.build(combo).signals(data, events).cut(task.start, None) for combo in task.combos]
    for combo, sig in zip(task.combos, signals):
        if len(sig.close.index) < 2:
            raise DataError(f"{task.strategy_id} {dict(combo)}: fewer than two bars to trade; widen --start/--end")
    return chunk_metrics(signals, init_cash=task.init_cash, size=task.size, costs=task.costs, edges=task.edges)


def chunk_metrics(signals: Sequence, *, init_cash: float, size: float, costs: tuple[Any, Any, Any], edges: np.ndarray | None = None) -> dict[str, Any]:
    """Metrics of every signal set (``TABLE_METRICS``, ``bars``, first and last bar), in order; with ``edges`` the CSCV block sums.

    Signal sets that can share a vectorbt call (same kind, assets and bars)
    are simulated together, one column each (:func:`jpmacro_bt.runner.backtest_many`).
    """
    from .report import periods_per_year
    from .runner import backtest_many, batch_key
    from .stats import block_stats, return_metrics

    n = len(signals)
    out: dict[str, Any] = {k: np.full(n, np.nan) for k in TABLE_METRICS}
    out["bars"] = np.zeros(n, dtype=np.int64)
    out["first"] = np.empty(n, dtype="datetime64[ns]")
    out["last"] = np.empty(n, dtype="datetime64[ns]")
    n_blocks = 0 if edges is None else len(edges)
    out["blocks"] = np.zeros((5, n_blocks, n)) if n_blocks else None
    groups: dict[tuple, list[list[int]]] = {}
    for i, sig in enumerate(signals):
        subgroups = groups.setdefault(batch_key(sig), [])
        for members in subgroups:
            if signals[members[0]].close.index.equals(sig.close.index):
                members.append(i)
                break
        else:
            subgroups.append([i])
    fees, slippage, borrow = costs
    for members in (m for subgroups in groups.values() for m in subgroups):
        batch = backtest_many([signals[i] for i in members], init_cash=init_cash, size=size, fees=fees, slippage=slippage, borrow_rate=borrow)
        index = batch.returns.index
        values = batch.returns.to_numpy()
        metrics = return_metrics(values, periods_per_year(index))
        cols = np.asarray(members)
        for k, v in metrics.items():
            out[k][cols] = v
        out["trades"][cols] = batch.trades
        with np.errstate(invalid="ignore", divide="ignore"):
            out["win_rate"][cols] = np.where(batch.closed > 0, batch.wins / np.maximum(batch.closed, 1), np.nan)
        out["exposure"][cols] = batch.exposure
        out["bars"][cols] = len(index)
        out["first"][cols] = index[0].to_datetime64()
        out["last"][cols] = index[-1].to_datetime64()
        if n_blocks:
            out["blocks"][:, :, cols] = block_stats(values, _block_ids(index, edges), n_blocks)
    return out


def single_run(spec: StrategySpec, strategy, data, *, start: pd.Timestamp | None, end: pd.Timestamp | None, init_cash: float, size: float,
               costs: tuple[Any, Any, Any]):
    """One combination alone, as a run makes it (data cut at ``end``, traded from ``start``), on the batch path.

    Returns ``(returns, trades)``. The returns equal :func:`jpmacro_bt.runner.backtest`'s bit for bit; going
    through :func:`~jpmacro_bt.runner.backtest_many` keeps one compiled simulation per process (vectorbt's
    signal simulation is compiled per argument layout and not cached on disk).
    """
    from .events import load_events
    from .runner import backtest_many

    cut = data.truncate(end) if end is not None else data
    sig = strategy.signals(cut, load_events()).cut(start, None)
    fees, slippage, borrow = costs
    batch = backtest_many([sig], init_cash=init_cash, size=size, fees=fees, slippage=slippage, borrow_rate=borrow)
    return batch.returns[0].rename("strategy"), int(batch.trades[0])


# --- executors ---------------------------------------------------------------------------


class _Local:
    """Chunks one after another in this process."""

    name = "local"
    workers = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, tasks: Sequence[Task], data) -> Iterator[tuple[int, dict]]:
        for task in tasks:
            yield task.number, run_chunk(task, data)


class _Dask:
    """Chunks spread over a Dask cluster: ``scheduler`` (tcp://HOST:PORT), or a local one on loopback."""

    name = "dask"

    def __init__(self, scheduler: str | None) -> None:
        self.scheduler = scheduler
        self.cluster = None
        self.client = None

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a declared dependency
            raise SweepError("--executor dask needs dask.distributed: pip install 'dask[distributed]'") from None
        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
            else:
                self.cluster = LocalCluster(host="127.0.0.1", dashboard_address=None, threads_per_worker=1, processes=True)
                self.client = Client(self.cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            raise SweepError(f"cannot reach the Dask scheduler at {self.scheduler} ({exc}); start one (`dask scheduler`) or drop --executor dask") from None
        return self

    @property
    def workers(self) -> int:
        info = self.client.scheduler_info() if self.client else {}
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def map(self, tasks: Sequence[Task], data) -> Iterator[tuple[int, dict]]:
        from distributed import as_completed

        shared = self.client.scatter(data, broadcast=True, hash=False)
        futures = self.client.map(run_chunk, list(tasks), data=shared, pure=False)
        number = {f.key: t.number for f, t in zip(futures, tasks)}
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                yield number[fut.key], fut.result()
        finally:
            self.client.cancel(futures)


def _executor(name: str, scheduler: str | None):
    if name == "local":
        if scheduler:
            raise SweepError("--scheduler needs --executor dask")
        return _Local()
    if name == "dask":
        return _Dask(scheduler)
    raise SweepError(f"unknown executor {name!r}{did_you_mean(name, ('local', 'dask'))}; use local or dask")


# --- evaluating a grid -------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """Metrics of every combination (rows in grid order) and the CSCV block sums (5 x blocks x combinations)."""

    table: pd.DataFrame
    blocks: np.ndarray | None
    chunks: int
    chunk_size: int


def _warm_up(spec: StrategySpec, combo: Mapping[str, Any], data, **kw) -> None:
    """One tiny simulation, so that what vectorbt and its compiled code hold counts in the baseline of the memory budget."""
    from .events import load_events

    sig = spec.build(combo).signals(data, load_events()).cut(kw.pop("start"), None)
    chunk_metrics([sig], **kw)


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
) -> Evaluation:
    """Metrics of ``combos`` on ``data`` traded from ``start``, chunk by chunk on ``executor``."""
    source = spec.path.read_text(encoding="utf-8")
    _SPECS.setdefault(_source_key(spec.id, source), spec)
    n = len(combos)
    if chunk_size is None and isinstance(executor, _Local):
        _warm_up(spec, combos[0], data, start=start, init_cash=init_cash, size=size, costs=costs)
    size_ = chunk_size or chunk_size_for(n, bars, width, budget, workers=executor.workers)
    tasks = [
        Task(k, spec.id, source, tuple(combos[lo : lo + size_]), start, init_cash, size, costs, edges)
        for k, lo in enumerate(range(0, n, size_))
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
    table = pd.DataFrame({k: np.concatenate([p[k] for p in ordered]) for k in (*TABLE_METRICS, "bars", "first", "last")})
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
        if self.metric not in METRICS:
            raise SweepError(f"unknown metric {self.metric!r}{did_you_mean(self.metric, METRICS)}; use one of {', '.join(METRICS)}")
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
    the metrics of a run (``TABLE_METRICS``) and ``rank`` by ``options.metric``
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
    from .events import load_events

    used = load_events().used(spec.cls.calendars)
    firsts = [b.frame.index[0].date() for b in data.bars.values()] + [c.complete_from for c in used]
    start = settings.start or (max(firsts) if firsts else None)
    return pd.Timestamp(start) if start else None


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
    """Run every combination of ``grid`` under ``settings`` (a :class:`~jpmacro_bt.run.RunSettings`).

    Then: the best combination by ``options.metric`` run on its own, its
    deflated Sharpe ratio over all trials in the ledger, the probability of
    backtest overfitting of the grid (CSCV), bootstrap intervals, warnings for
    too few trades, the trials appended to the ledger and, with
    ``options.walk_forward``, a walk-forward validation.

    ``progress(stage, done, total)`` is called as combinations finish.
    """
    from . import ledger, stats
    from .data import load_market_data
    from .events import load_events
    from .report import periods_per_year

    options.check(grid)
    t0 = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    if settings.start and settings.end and settings.start > settings.end:
        raise DataError(f"--start {settings.start} is after --end {settings.end}; swap them")
    combos = grid.combos()
    strategies = [spec.build(c) for c in combos]  # every combination valid before any work
    traded = list(dict.fromkeys(s.needs()[0] for s in strategies))
    if len(traded) > 1:
        raise SweepError(
            f"the grid changes what {spec.id} trades ({', '.join(traded)}): one sweep shares one calendar and one set "
            f"of costs, so sweep one at a time, e.g. --param {_choosing_param(grid, strategies)}={traded[1]}"
        )
    needed = list(dict.fromkeys(sym for s in strategies for sym in s.needs()))
    params = [s.params() for s in strategies]
    budget = parse_memory(None) if options.max_memory is None else options.max_memory
    defaults = spec.build(dict(grid.fixed)).params()
    default_row = next((i for i, p in enumerate(params) if p == defaults), None)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", JpMacroWarning)
        if data is None:
            data = load_market_data(needed, end=settings.end, source=settings.source, data_dir=settings.data_dir, offline=settings.offline)
        elif settings.end:
            data = data.truncate(settings.end)
        start = default_start(spec, settings, data)
        reference = strategies[0].signals(data, load_events()).cut(start, None)
        index = reference.close.index
        if len(index) < 2:
            raise DataError(f"{spec.id}: fewer than two bars between {settings.start or 'the start'} and {settings.end or 'the end'}; widen --start/--end")
        if settings.end and (pd.Timestamp(settings.end) - index[-1]).days > 7:
            warnings.warn(f"data end on {index[-1]:%Y-%m-%d}, before --end {settings.end}; the sweep stops there", JpMacroWarning, stacklevel=1)
        for cal in load_events().used(spec.cls.calendars):
            cal.warn_if_incomplete(index[0], index[-1])
        width = reference.close.shape[1] if isinstance(reference.close, pd.DataFrame) else 1
        costs = settings.costs_for(strategies[0], reference.close)
        edges = _edges(index, options.pbo_blocks) if len(combos) >= 2 else None
        with _executor(options.executor, options.scheduler) as executor:
            ev = evaluate(
                spec, params, data, start=start, init_cash=settings.init_cash, size=settings.size, costs=costs,
                executor=executor, budget=budget, bars=len(index), width=width, chunk_size=options.chunk_size, edges=edges,
                progress=(lambda d, n: progress("sweep", d, n)) if progress else None,
            )
            table = ev.table
            periods = periods_per_year(index)
            score = table[options.metric].to_numpy(dtype=float)
            best = int(np.argmax(np.where(np.isnan(score), -np.inf, score)))
            best_returns, _ = single_run(spec, strategies[best], data, start=start, end=None, init_cash=settings.init_cash, size=settings.size, costs=costs)
            wf = None
            if options.walk_forward:
                from .walkforward import walk_forward

                wf = walk_forward(
                    spec, params, data=data, index=index, start=start, metric=options.metric, folds=options.walk_forward,
                    mode=options.wf_mode, evaluate=lambda d, s, bars: evaluate(
                        spec, params, d, start=s, init_cash=settings.init_cash, size=settings.size, costs=costs, executor=executor,
                        budget=budget, bars=bars, width=width, chunk_size=options.chunk_size,
                        progress=(lambda done, n: progress("walk-forward", done, n)) if progress else None,
                    ).table,
                    default_row=default_row,
                    single=lambda strategy, d, s, e: single_run(spec, strategy, d, start=s, end=e, init_cash=settings.init_cash, size=settings.size, costs=costs),
                )
    for w in seen:
        if issubclass(w.category, JpMacroWarning):
            caught.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if wf is not None:
        caught.extend(wf.warnings)
    rid = sweep_id(spec, grid, settings, now)
    # The trial ledger: record this sweep, then price the best result against every trial ever made.
    digest = ledger.data_digest(data.fingerprint())
    trial_settings = {"init_cash": settings.init_cash, "size": settings.size, "fees": costs[0], "slippage": costs[1], "borrow": costs[2]}
    trials = [
        ledger.Trial(
            strategy=spec.id, params=p, start=f"{pd.Timestamp(f):%Y-%m-%d}", end=f"{pd.Timestamp(la):%Y-%m-%d}",
            bars=int(b), periods_per_year=periods, settings=trial_settings, data_digest=digest,
            sharpe=None if math.isnan(sh) else float(sh), trades=int(tr), kind="sweep", source_id=rid,
        )
        for p, f, la, b, sh, tr in zip(params, table["first"], table["last"], table["bars"], table["sharpe"], table["trades"])
    ]
    own = {t.key: t.sharpe / math.sqrt(periods) for t in trials if t.sharpe is not None}
    if options.record:
        ledger.record(trials)
    # Every distinct trial ever made on the strategy, this sweep's included (recorded or not).
    sharpes = list({**ledger.trial_sharpes(spec.id), **own}.values())
    sr, skew, kurt, n_obs = stats.moments(best_returns.to_numpy())
    variance = float(np.var(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    deflated = stats.deflated_sharpe(sr, n_obs, skew, kurt, max(len(sharpes), 1), variance)
    pbo_result, pbo_note = None, None
    if len(combos) < 2:
        pbo_note = "one combination: nothing was selected, so there is nothing to overfit"
    elif ev.blocks is None:
        pbo_note = f"{len(index)} bars are too few for {options.pbo_blocks} CSCV blocks of at least 2 bars; lower --pbo-blocks"
    else:
        pbo_metric = options.metric if options.metric != "max_drawdown" else "sharpe"
        if pbo_metric != options.metric:
            pbo_note = "max drawdown cannot be rebuilt from block sums: PBO ranks by Sharpe ratio"
        pbo_result = stats.pbo_from_blocks(ev.blocks, pbo_metric, periods)
    boot = stats.bootstrap(best_returns.to_numpy(), periods, samples=options.bootstrap, seed=options.seed) if options.bootstrap else None
    best_trades = int(table["trades"].iloc[best])
    label = ", ".join(f"{k}={_show(v)}" for k, v in combos[best].items() if k in grid.swept) or "the only combination"
    if (w := stats.too_few_trades(best_trades, f"the best combination ({label})")) is not None:
        caught.append(w)
    few = int((table["trades"] < stats.MIN_TRADES).sum())
    if few and few < len(table):
        caught.append(f"{few:,} of {len(table):,} combinations made fewer than {stats.MIN_TRADES} trades")
    order = np.argsort(-np.where(np.isnan(score), -np.inf, score), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    # object columns keep None as None (a float column would turn it into NaN)
    columns = {}
    for name in (f.name for f in spec.parameters()):
        values = [p[name] for p in params]
        columns[name] = pd.Series(values, dtype=object) if any(v is None for v in values) else pd.Series(values)
    out = pd.DataFrame(columns)
    for k in TABLE_METRICS:
        out[k] = table[k].to_numpy()
    out["trades"] = out["trades"].astype("int64")
    out["rank"] = rank
    return SweepResult(
        id=rid, spec=spec, grid=grid, settings=settings, options=options, table=out, best=best, best_strategy=strategies[best], best_returns=best_returns, periods=periods,
        deflated=deflated, pbo=pbo_result, pbo_note=pbo_note, bootstrap=boot, trials=len(sharpes), trials_in_sweep=len(own),
        warnings=tuple(dict.fromkeys(caught)), walk_forward=wf, fingerprint=data.fingerprint(), chunks=ev.chunks,
        chunk_size=ev.chunk_size, budget=budget, seconds=time.perf_counter() - t0, created_at=now, default_row=default_row,
        costs=costs,
    )


def _show(value: Any) -> str:
    if value is None or isinstance(value, float) and math.isnan(value):
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- writing -----------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def summary(result: SweepResult) -> dict[str, Any]:
    """The sweep's findings as plain data (``summary.json``)."""
    row = result.table.iloc[result.best]
    index = result.best_returns.index
    d = result.deflated
    out: dict[str, Any] = {
        "sweep_id": result.id,
        "strategy": result.spec.id,
        "claim": result.spec.claim,
        "period": {"start": f"{index[0]:%Y-%m-%d}", "end": f"{index[-1]:%Y-%m-%d}", "bars": len(index), "periods_per_year": result.periods},
        "grid": {k: [_finite(v) for v in vs] for k, vs in result.grid.describe().items()},
        "fixed": {k: _finite(v) for k, v in result.grid.fixed.items()},
        "combinations": len(result.table),
        "metric": result.options.metric,
        "best": {
            "params": {k: _finite(row[k]) for k in result.params},
            "metrics": {k: _finite(row[k]) for k in TABLE_METRICS},
        },
        "trials": {"ledger": result.trials, "this_sweep": result.trials_in_sweep, "recorded": result.options.record},
        "deflated_sharpe": {
            "dsr": _finite(d.dsr), "sharpe_per_bar": _finite(d.sharpe), "threshold_per_bar": _finite(d.threshold),
            "threshold_annual": _finite(d.threshold * math.sqrt(result.periods)), "n_trials": d.n_trials, "n_obs": d.n_obs,
            "skew": _finite(d.skew), "kurtosis": _finite(d.kurtosis), "sharpe_variance_per_bar": _finite(d.variance),
        },
        "pbo": None if result.pbo is None else {
            "pbo": result.pbo.pbo, "prob_oos_loss": result.pbo.prob_oos_loss, "splits": result.pbo.n_splits,
            "blocks": result.options.pbo_blocks, "median_logit": _finite(float(np.median(result.pbo.logits))),
        },
        "pbo_note": result.pbo_note,
        "bootstrap": None if result.bootstrap is None else {
            "sharpe": [_finite(x) for x in result.bootstrap.sharpe], "cagr": [_finite(x) for x in result.bootstrap.cagr],
            "level": result.bootstrap.level, "samples": result.bootstrap.samples, "undefined": result.bootstrap.undefined,
            "block": result.bootstrap.block, "seed": result.options.seed,
        },
        "warnings": list(result.warnings),
        "execution": {"executor": result.options.executor, "chunks": result.chunks, "chunk_size": result.chunk_size,
                      "max_memory": result.budget, "seconds": round(result.seconds, 3)},
    }
    if result.walk_forward is not None:
        out["walk_forward"] = result.walk_forward.describe()
    return out


def write_sweep(result: SweepResult, reports_dir: Path, *, argv: Sequence[str] | None = None, tearsheet: bool = True) -> Path:
    """Write ``reports_dir/sweep-<id>/`` atomically and return it.

    Files: ``metrics.parquet`` and ``metrics.csv`` (every combination),
    ``summary.json``, ``manifest.json``, ``sweep.html`` (self-contained) and,
    with a walk-forward, ``walkforward.csv``, ``oos_returns.csv`` and
    ``oos_tearsheet.html``.
    """
    import sys

    from .files import atomic_folder, write_text
    from .run import _versions

    final = reports_dir / f"sweep-{result.id}"
    with atomic_folder(final, what="sweep folder") as tmp:
        table = result.table
        table.to_parquet(tmp / "metrics.parquet", index=False)
        write_text(tmp / "metrics.csv", table.to_csv(index=False, lineterminator="\n"))
        write_text(tmp / "summary.json", json.dumps(summary(result), indent=2, default=str))
        fees, slippage, borrow = result.costs
        manifest = {
            "sweep_id": result.id,
            "created_at": result.created_at.isoformat(timespec="seconds"),
            "strategy": {"id": result.spec.id, "file": str(result.spec.path), "claim": result.spec.claim},
            "grid": {k: [_finite(v) for v in vs] for k, vs in result.grid.describe().items()},
            "fixed": {k: _finite(v) for k, v in result.grid.fixed.items()},
            "settings": {
                "start": str(result.settings.start) if result.settings.start else None, "end": str(result.settings.end) if result.settings.end else None,
                "init_cash": result.settings.init_cash, "size": result.settings.size, "fees": fees, "slippage": slippage, "borrow": borrow,
                "source": result.settings.source, "data_dir": str(result.settings.data_dir) if result.settings.data_dir else None,
            },
            "options": {k: v for k, v in vars(result.options).items()},
            "data": result.fingerprint,
            "versions": _versions(),
            "command": list(argv or sys.argv),
        }
        write_text(tmp / "manifest.json", json.dumps(manifest, indent=2, default=str))
        wf = result.walk_forward
        if wf is not None:
            write_text(tmp / "walkforward.csv", wf.folds_table().to_csv(index=False, lineterminator="\n"))
            frame = pd.DataFrame({"strategy": wf.returns, "benchmark": wf.benchmark})
            frame.index = pd.DatetimeIndex(frame.index).rename("date")
            write_text(tmp / "oos_returns.csv", frame.to_csv(lineterminator="\n", date_format="%Y-%m-%d"))
            if tearsheet:
                from .report import write_tearsheet

                write_tearsheet(
                    tmp / "oos_tearsheet.html", frame["strategy"], frame["benchmark"],
                    title=f"{result.spec.id}: walk-forward out of sample ({len(wf.folds)} {wf.mode} folds, chosen by {wf.metric})",
                    strategy_title=f"{result.spec.id} (out of sample)", benchmark_title=result.best_strategy.benchmark_name,
                    parameters={"folds": len(wf.folds), "mode": wf.mode, "metric": wf.metric, "combinations": len(result.table),
                                **{f"fold {f.number}": ", ".join(f"{k}={_show(v)}" for k, v in f.chosen.items() if k in result.grid.swept) for f in wf.folds}},
                )
        write_text(tmp / "sweep.html", render(result, oos_tearsheet=wf is not None and tearsheet))
    return final


# --- the page ----------------------------------------------------------------------------

_LABEL = {"total_return": "total return", "cagr": "CAGR", "sharpe": "Sharpe", "sortino": "Sortino", "max_drawdown": "max drawdown",
          "volatility": "volatility", "trades": "trades", "win_rate": "win rate", "exposure": "exposure"}


def _fmt(key: str, value: Any) -> str:
    from .report import format_metric

    return format_metric(key, value)


def _svg(fig) -> str:
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.add_subplot()


def _heat_axes(result: SweepResult) -> tuple[str, ...]:
    if result.options.heatmap:
        return result.options.heatmap
    names = sorted(result.grid.names, key=lambda n: -len(result.grid.swept[n]))  # stable: grid order among equals
    return tuple(n for n in names if len(result.grid.swept[n]) > 1)[:2]


def _ticks(ax, axis: str, labels: list[str]) -> None:
    step = max(1, math.ceil(len(labels) / 25))
    pos = list(range(0, len(labels), step))
    getattr(ax, f"set_{axis}ticks")(pos)
    getattr(ax, f"set_{axis}ticklabels")([labels[i] for i in pos], rotation=90 if axis == "x" and max(map(len, labels)) > 4 else 0)


def _heatmap_svg(result: SweepResult) -> tuple[str, str] | None:
    from matplotlib.colors import TwoSlopeNorm

    metric = result.options.metric
    axes = _heat_axes(result)
    table = result.table
    best = table.iloc[result.best]
    if len(axes) == 0:
        return None
    if len(axes) == 1:
        x = axes[0]
        values = list(result.grid.swept[x])
        others = [n for n in result.grid.names if n != x]
        key = table[x].map(_show)
        agg = table[metric].groupby(key, sort=False).median() if others else table.set_index(key)[metric]
        ys = [agg.get(_show(v), np.nan) for v in values]
        fig, ax = _figure(11, 4.2)
        ax.plot(range(len(values)), ys, marker="o", ms=3, lw=1.2, color="#1f5f99")
        b = values.index(best[x]) if best[x] in values else None
        if b is not None:
            ax.plot([b], [ys[b]], marker="o", ms=9, mfc="none", mec="#d62728", mew=2, label=f"best: {x}={_show(best[x])}")
            ax.legend(loc="best", frameon=False)
        ax.axhline(0, color="#888", lw=0.8)
        _ticks(ax, "x", [_show(v) for v in values])
        ax.set_xlabel(x)
        ax.set_ylabel(_LABEL[metric])
        ax.grid(alpha=0.3)
        title = f"{_LABEL[metric]} by {x}" + (f" (median over {', '.join(others)})" if others else "")
        ax.set_title(title)
        return title, _svg(fig)
    x, y = axes
    xs, ys = list(result.grid.swept[x]), list(result.grid.swept[y])
    others = [n for n in result.grid.names if n not in axes]
    grid = table.assign(_x=table[x].map(_show), _y=table[y].map(_show)).groupby(["_y", "_x"], sort=False)[metric].median()
    z = np.array([[grid.get((_show(vy), _show(vx)), np.nan) for vx in xs] for vy in ys])
    fig, ax = _figure(min(14, max(6.5, 0.42 * len(xs) + 3)), min(11, max(3.8, 0.34 * len(ys) + 2)))
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (-1.0, 1.0)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=min(lo, -1e-9), vmax=max(hi, 1e-9)) if lo < 0 < hi else None
    im = ax.imshow(np.ma.masked_invalid(z), aspect="auto", origin="lower", cmap="RdYlGn", norm=norm, interpolation="nearest")
    cbar = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    cbar.set_label(_LABEL[metric])
    if z.size <= 300:
        size = 8 if z.size <= 120 else 6.5
        for i in range(len(ys)):
            for j in range(len(xs)):
                if math.isfinite(z[i, j]):
                    r, g, b, _ = im.cmap(im.norm(z[i, j]))
                    ink = "#fff" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#111"  # readable on dark cells
                    ax.text(j, i, _fmt(metric, z[i, j]), ha="center", va="center", fontsize=size, color=ink)
    bi, bj = (ys.index(best[y]) if best[y] in ys else None), (xs.index(best[x]) if best[x] in xs else None)
    if bi is not None and bj is not None:
        from matplotlib.patches import Rectangle

        ax.add_patch(Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, ec="#1f3fbf", lw=2.2))
    _ticks(ax, "x", [_show(v) for v in xs])
    _ticks(ax, "y", [_show(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    title = f"{_LABEL[metric]} by {y} and {x}" + (f" (median over {', '.join(others)})" if others else "") + "; blue box: best combination"
    ax.set_title(title, fontsize=10)
    return title, _svg(fig)


def _distribution_svg(result: SweepResult) -> str | None:
    metric = result.options.metric
    values = result.table[metric].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return None
    fig, ax = _figure(11, 3.8)
    ax.hist(finite, bins=min(60, max(10, int(math.sqrt(len(finite))) * 2)), color="#7a9cc6", edgecolor="white")
    best = values[result.best]
    ax.axvline(best, color="#d62728", lw=2, label=f"best: {_fmt(metric, best)}")
    if result.default_row is not None and math.isfinite(values[result.default_row]):
        ax.axvline(values[result.default_row], color="#333", lw=1.5, ls="--", label=f"default parameters: {_fmt(metric, values[result.default_row])}")
    if metric == "sharpe" and result.deflated.n_trials > 1 and math.isfinite(result.deflated.threshold):
        sr0 = result.deflated.threshold * math.sqrt(result.periods)
        ax.axvline(sr0, color="#9467bd", lw=1.5, ls=":", label=f"best of {result.deflated.n_trials:,} trials by luck alone: {sr0:.2f}")
    ax.set_xlabel(_LABEL[metric])
    ax.set_ylabel("combinations")
    undefined = len(values) - len(finite)
    ax.set_title(f"{_LABEL[metric]} across {len(values):,} combinations" + (f" ({undefined:,} without a value: no position held)" if undefined else ""), fontsize=10)
    ax.legend(loc="best", frameon=False, fontsize=9)
    ax.grid(alpha=0.3)
    return _svg(fig)


def _walkforward_svg(result: SweepResult) -> str | None:
    wf = result.walk_forward
    if wf is None:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), dpi=100)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    n = np.arange(len(wf.folds))
    ax1.bar(n - 0.2, [f.is_value for f in wf.folds], width=0.4, label="in sample", color="#7a9cc6")
    ax1.bar(n + 0.2, [f.oos_value for f in wf.folds], width=0.4, label="out of sample", color="#e08a3c")
    ax1.axhline(0, color="#888", lw=0.8)
    ax1.set_xticks(n)
    ax1.set_xticklabels([str(f.number) for f in wf.folds])
    ax1.set_xlabel("fold")
    ax1.set_ylabel(_LABEL[wf.metric])
    ax1.set_title(f"{_LABEL[wf.metric]} of the chosen parameters", fontsize=10)
    ax1.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2)
    eq = (1 + wf.returns.fillna(0)).cumprod()
    bench = (1 + wf.benchmark.fillna(0)).cumprod()
    dates = pd.DatetimeIndex(eq.index)
    ax2.plot(dates, eq.to_numpy(), color="#1f5f99", lw=1.3, label="walk-forward (out of sample)")
    ax2.plot(dates, bench.to_numpy(), color="#999", lw=1.0, label=f"benchmark: {result.best_strategy.benchmark_name}")
    for f in wf.folds[1:]:
        ax2.axvline(f.split.oos_start, color="#ccc", lw=0.8, ls="--")
    ax2.set_title("stitched out-of-sample growth of 1 (dashes: fold starts)", fontsize=10)
    ax2.legend(frameon=False, fontsize=9, loc="best")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def _table_html(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    import html

    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if num else ""}">{esc(cell)}</td>' for cell, num in zip(row, numeric)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:2px}h2{font-size:17px;margin-top:30px;border-bottom:1px solid #ddd;padding-bottom:4px}
.claim{color:#555;margin-top:0}.meta{color:#555;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:200px;flex:1}
.card .k{font-size:12px;color:#666}.card .v{font-size:20px;font-weight:600}.card .s{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border-bottom:1px solid #e5e5e5;padding:4px 9px;text-align:left}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{background:#fff6dd;border:1px solid #e6c96a;border-radius:6px;padding:8px 14px}.warn li{margin:3px 0}
.fig svg{max-width:100%;height:auto}.note{font-size:12px;color:#555}
"""


def render(result: SweepResult, *, oos_tearsheet: bool = False) -> str:
    """The sweep page: self-contained HTML (inline SVG charts, no remote resource), every value escaped."""
    import html

    from matplotlib import rc_context

    esc = html.escape
    metric = result.options.metric
    table = result.table
    row = table.iloc[result.best]
    swept = list(result.grid.names)
    index = result.best_returns.index
    label = ", ".join(f"{k}={_show(row[k])}" for k in swept) or "the only combination"
    d = result.deflated
    with rc_context({"svg.hashsalt": "jpmacro-bt", "svg.fonttype": "path", "font.size": 10}):
        heat = _heatmap_svg(result)
        dist = _distribution_svg(result)
        wf_svg = _walkforward_svg(result)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(f'sweep {result.spec.id}')}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(f'Sweep: {result.spec.id}')}</h1><p class='claim'>{esc(result.spec.claim)}</p>",
        "<p class='meta'>" + esc(
            f"{index[0]:%Y-%m-%d} .. {index[-1]:%Y-%m-%d}, {len(index):,} bars; {len(table):,} combinations of "
            + ("; ".join(f"{k} ({len(v)} values: {_show(v[0])} .. {_show(v[-1])})" for k, v in result.grid.swept.items()) or "the defaults")
            + (f"; fixed: {', '.join(f'{k}={_show(v)}' for k, v in result.grid.fixed.items())}" if result.grid.fixed else "")
            + f"; ranked by {_LABEL[metric]}; sweep {result.id}"
        ) + "</p>",
    ]
    if result.warnings:
        parts.append("<div class='warn'><b>Warnings</b><ul>" + "".join(f"<li>{esc(w)}</li>" for w in result.warnings) + "</ul></div>")
    sharpe_txt = _fmt("sharpe", row["sharpe"])
    cards = [
        ("best combination", label, f"{_LABEL[metric]} {_fmt(metric, row[metric])}; rank 1 of {len(table):,}"),
        ("Sharpe of the best", f"{sharpe_txt}", f"trials on this strategy: {result.trials:,} (this sweep: {result.trials_in_sweep:,})"),
        ("deflated Sharpe ratio", f"{d.dsr:.2f}" if math.isfinite(d.dsr) else "-",
         f"P(true Sharpe > 0) after {d.n_trials:,} trials; luck alone reaches {_fmt('sharpe', d.threshold * math.sqrt(result.periods))}"),
        ("probability of backtest overfitting", "-" if result.pbo is None else f"{result.pbo.pbo:.0%}",
         result.pbo_note or (f"CSCV, {result.options.pbo_blocks} blocks, {result.pbo.n_splits:,} splits" if result.pbo else "")),
    ]
    if result.bootstrap is not None:
        b = result.bootstrap
        cards.append((f"{b.level:.0%} bootstrap intervals", f"Sharpe {_fmt('sharpe', b.sharpe[0])} .. {_fmt('sharpe', b.sharpe[1])}",
                      f"CAGR {_fmt('cagr', b.cagr[0])} .. {_fmt('cagr', b.cagr[1])}; {b.samples:,} resamples of {b.block}-bar blocks"))
    cards.append(("trades of the best", _fmt("trades", row["trades"]), f"win rate {_fmt('win_rate', row['win_rate'])}, exposure {_fmt('exposure', row['exposure'])}"))
    parts.append("<div class='cards'>" + "".join(
        f"<div class='card'><div class='k'>{esc(k)}</div><div class='v'>{esc(v)}</div><div class='s'>{esc(s)}</div></div>" for k, v, s in cards
    ) + "</div>")
    if heat is not None:
        parts.append(f"<h2>{esc(_LABEL[metric])} over the grid</h2><div class='fig'>{heat[1]}</div>")
    if dist is not None:
        parts.append(f"<h2>Distribution of {esc(_LABEL[metric])}</h2><div class='fig'>{dist}</div>")
    top = table.sort_values("rank").head(result.options.top)
    shown = ["rank", *swept, *TABLE_METRICS]
    parts.append(f"<h2>Top {len(top)} by {esc(_LABEL[metric])}</h2>")
    parts.append(_table_html(
        [_LABEL.get(c, c) for c in shown],
        [[str(int(r["rank"])), *(_show(r[k]) for k in swept), *(_fmt(k, r[k]) for k in TABLE_METRICS)] for _, r in top.iterrows()],
        [True, *([False] * len(swept)), *([True] * len(TABLE_METRICS))],
    ))
    wf = result.walk_forward
    if wf is not None:
        parts.append(f"<h2>Walk-forward ({len(wf.folds)} {esc(wf.mode)} folds, chosen in sample by {esc(_LABEL[wf.metric])})</h2>")
        parts.append("<p>" + esc(
            f"Over the {len(wf.paired)} of {len(wf.folds)} folds with a {_LABEL[wf.metric]} both in and out of sample, the chosen parameters averaged "
            f"{_fmt(wf.metric, wf.is_mean)} in sample and {_fmt(wf.metric, wf.oos_mean)} out of sample"
            + (f" (efficiency {wf.efficiency:.2f})" if math.isfinite(wf.efficiency) else "")
            + f"; {wf.worse} of them did worse out of sample. Stitched out of sample: Sharpe {_fmt('sharpe', wf.oos_metrics['sharpe'])}, "
            f"CAGR {_fmt('cagr', wf.oos_metrics['cagr'])}, max drawdown {_fmt('max_drawdown', wf.oos_metrics['max_drawdown'])}, "
            f"{int(wf.oos_metrics['trades'])} trades."
        ) + (" <a href='oos_tearsheet.html'>Out-of-sample tearsheet</a>." if oos_tearsheet else "") + "</p>")
        if wf_svg:
            parts.append(f"<div class='fig'>{wf_svg}</div>")
        parts.append(_table_html(
            ["fold", "in sample", "out of sample", "chosen", f"{_LABEL[wf.metric]} in", f"{_LABEL[wf.metric]} out", "trades out"],
            [[str(f.number), f"{f.split.is_start:%Y-%m-%d} .. {f.split.is_end:%Y-%m-%d}", f"{f.split.oos_start:%Y-%m-%d} .. {f.split.oos_end:%Y-%m-%d}",
              ", ".join(f"{k}={_show(f.chosen[k])}" for k in swept) + (" (default: nothing traded in sample)" if f.fallback else ""),
              _fmt(wf.metric, f.is_value), _fmt(wf.metric, f.oos_value), str(f.oos_trades)] for f in wf.folds],
            [True, False, False, False, True, True, True],
        ))
    notes = [
        f"Deflated Sharpe ratio (Bailey and López de Prado 2014): the probability that the best combination's true Sharpe ratio is above zero, "
        f"given that it was picked among {d.n_trials:,} distinct trials on this strategy in the trial ledger (variance of their Sharpe ratios "
        f"{d.variance * result.periods:.3f} annualised), over {d.n_obs:,} bars with skew {d.skew:.2f} and kurtosis {d.kurtosis:.2f}.",
        "Probability of backtest overfitting (Bailey, Borwein, López de Prado and Zhu 2015): the bars are cut into equal blocks; for every way of "
        "taking half of them as in-sample, the in-sample best combination is ranked out of sample; PBO is how often it lands at or below the median.",
        "Metrics are those of a single run (quantstats' definitions, rf = 0, annualised with "
        f"{result.periods} bars a year); a combination that never held a position has no Sharpe ratio.",
        f"Files: metrics.csv and metrics.parquet (every combination), summary.json, manifest.json. Ran in {result.seconds:,.1f} s "
        f"in {result.chunks} chunk(s) of up to {result.chunk_size:,} combinations ({result.options.executor} executor).",
    ]
    parts.append("<h2>Notes</h2>" + "".join(f"<p class='note'>{esc(n)}</p>" for n in notes))
    parts.append("</body></html>")
    return "\n".join(parts)
