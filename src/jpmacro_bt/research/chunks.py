"""A sweep's chunks: the memory budget, the signal sets combinations share, one chunk of combinations through one vectorbt
call, and the executors (in-process or Dask)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.errors import DataError, JpMacroError, SweepError, did_you_mean
from jpmacro_bt.engine.metrics import METRICS
from jpmacro_bt.catalog import StrategySpec, load_strategy

__all__ = [
    "BYTES_PER_CELL", "EXECUTION_FIELDS", "MAX_CHUNK", "Execution", "register", "Task", "chunk_metrics", "chunk_size_for", "current_memory",
    "executor", "find_execution", "parse_memory", "run_chunk", "single_run", "total_memory",
]

# Peak memory per bar and combination of a chunk (signals, vectorbt's arrays, returns, metrics), measured
# on 10-year daily sweeps (benchmarks/README.md) with headroom.
BYTES_PER_CELL = 160
MAX_CHUNK = 500  # columns per vectorbt call: wider, the arrays outgrow the CPU caches and each chunk is slower per column
DASK_CONNECT_TIMEOUT = "20s"  # how long to wait for --scheduler to answer


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


_PRIVATE: list[Path] = []


def _private_dir() -> Path:
    """A folder only this process knows and may write (``mkdtemp``: random name, mode 0700), removed at exit.

    A worker loads strategy code only from here, never from a shared or
    predictable path another user could have planted a file in.
    """
    if not _PRIVATE:
        import atexit
        import shutil

        _PRIVATE.append(Path(tempfile.mkdtemp(prefix="jpmacro-bt-strategies-")))
        atexit.register(shutil.rmtree, _PRIVATE[0], True)
    return _PRIVATE[0]


def register(spec: StrategySpec) -> str:
    """Remember ``spec`` in this process and return its source text, which tasks carry to the workers."""
    source = spec.source
    _SPECS.setdefault(_source_key(spec.id, source), spec)
    return source


def _spec_for(strategy_id: str, source: str) -> StrategySpec:
    """The strategy of this source text, loaded once per process (a Dask worker needs no shared folder)."""
    key = _source_key(strategy_id, source)
    spec = _SPECS.get(key)
    if spec is None:
        folder = _private_dir() / key
        folder.mkdir(exist_ok=True)
        path = folder / f"{strategy_id}.py"
        path.write_text(source, encoding="utf-8")
        spec = _SPECS[key] = load_strategy(path)
    return spec


# --- signal sets shared by combinations ----------------------------------------------------

# The fields of Signals the simulator takes as a setting per column; every other field is an array of bars.
EXECUTION_FIELDS = ("sl_stop",)


@dataclass(frozen=True)
class Execution:
    """Swept parameters that reach nothing but the simulator's settings (``EXECUTION_FIELDS``), and what each
    combination of their values sets there.

    Combinations that differ only in these parameters share one ``signals()``
    call: the same arrays, each with the execution fields of its own values.
    """

    names: tuple[str, ...] = ()
    fields: Mapping[tuple, Mapping[str, Any]] = field(default_factory=dict)

    def signal_key(self, combo: Mapping[str, Any]) -> tuple:
        """What a combination's arrays depend on: every parameter but the execution ones."""
        return tuple((k, v) for k, v in combo.items() if k not in self.names)

    def apply(self, signals, combo: Mapping[str, Any]):
        """``signals`` (of any combination with this one's signal key) with this combination's execution fields."""
        if not self.names:
            return signals
        return dataclasses.replace(signals, **self.fields[tuple(combo[k] for k in self.names)])


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, pd.Series | pd.DataFrame):
        return type(a) is type(b) and getattr(a, "name", None) == getattr(b, "name", None) and a.equals(b)
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _same_arrays(a, b) -> bool:
    return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a) if f.name not in EXECUTION_FIELDS)


def _execution_of(signals) -> dict[str, Any]:
    return {name: getattr(signals, name) for name in EXECUTION_FIELDS}


def _sample(items: Sequence, most: int) -> list:
    """Up to ``most`` items evenly spread over ``items``, the first and the last included."""
    if len(items) <= most:
        return list(items)
    return [items[i] for i in dict.fromkeys(round(k * (len(items) - 1) / (most - 1)) for k in range(most))]


def find_execution(spec: StrategySpec, combos: Sequence[Mapping[str, Any]], data, events, *, values: int = 4, bases: int = 3) -> Execution:
    """The swept parameters of ``combos`` (full parameter sets) that only set execution fields, found by computing signals.

    Nothing is assumed from a parameter's name. A parameter that varies in
    ``combos`` is a candidate when, at ``bases`` combinations spread over the
    grid (the first, the middle, the last), setting it to ``values`` of its
    values spread over its range leaves every signal array equal. Then every
    combination of the candidates' values is computed from the first
    combination: the arrays must stay equal there too, and the execution
    fields seen at the other bases must be the ones these give (the fields
    depend on the candidates alone). Any difference, or a combination the
    strategy refuses, and no parameter is treated as an execution parameter.
    """
    sampled: list[tuple[Mapping[str, Any], dict[str, Any]]] = []

    def signals_of(combo: Mapping[str, Any]):
        try:
            return spec.build(dict(combo)).signals(data, events)
        except JpMacroError:
            return None

    def unchanged_by(name: str) -> bool:
        tried = _sample(list(dict.fromkeys(c[name] for c in combos)), values)
        for base in _sample(combos, bases):
            reference = None
            for value in tried:
                combo = {**base, name: value}
                sig = signals_of(combo)
                if sig is None or (reference is not None and not _same_arrays(reference, sig)):
                    return False
                reference = reference if reference is not None else sig
                sampled.append((combo, _execution_of(sig)))
        return True

    names = tuple(k for k in combos[0] if len(dict.fromkeys(c[k] for c in combos)) > 1 and unchanged_by(k))
    if not names:
        return Execution()
    first = combos[0]
    reference = signals_of(first)
    fields: dict[tuple, Mapping[str, Any]] = {}
    for key in dict.fromkeys(tuple(c[k] for k in names) for c in combos):
        sig = signals_of({**first, **dict(zip(names, key))})
        if sig is None or not _same_arrays(reference, sig):
            return Execution()
        fields[key] = _execution_of(sig)
    for combo, seen in sampled:
        own = fields.get(tuple(combo[k] for k in names))
        if own is not None and not all(_same(own[f], v) for f, v in seen.items()):
            return Execution()
    return Execution(names, fields)


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
    leverage: float | None = None
    execution: Execution = Execution()


def _block_ids(index: pd.DatetimeIndex, edges: np.ndarray | None) -> np.ndarray | None:
    if edges is None:
        return None
    return np.searchsorted(edges, index.to_numpy(dtype="datetime64[ns]"), side="right") - 1


def run_chunk(task: Task, data) -> dict[str, Any]:
    """Simulate one chunk of combinations; plain arrays in, plain arrays out (runs on any worker).

    Computes the signals with the strategy's own ``signals()`` on ``data``,
    cut at ``task.start``, once per signal key (``task.execution``), then
    :func:`chunk_metrics`.
    """
    from jpmacro_bt.events import load_events

    spec = _spec_for(task.strategy_id, task.source)
    events = load_events()
    made: dict[tuple, Any] = {}
    signals = []
    for combo in task.combos:
        key = task.execution.signal_key(combo)
        sig = made.get(key)
        if sig is None:
            sig = made[key] = spec.build(combo).signals(data, events).cut(task.start, None)
            if len(sig.close.index) < 2:
                raise DataError(f"{task.strategy_id} {dict(combo)}: fewer than two bars to trade; widen --start/--end")
        signals.append(task.execution.apply(sig, combo))
    return chunk_metrics(signals, init_cash=task.init_cash, size=task.size, costs=task.costs, edges=task.edges, leverage=task.leverage)


def chunk_metrics(
    signals: Sequence, *, init_cash: float, size: float, costs: tuple[Any, Any, Any], edges: np.ndarray | None = None, leverage: float | None = None
) -> dict[str, Any]:
    """Metrics of every signal set (``METRICS``, ``bars``, first and last bar), in order; with ``edges`` the CSCV block sums.

    Signal sets that can share a vectorbt call (same kind, assets and bars)
    are simulated together, one column each (:func:`jpmacro_bt.engine.simulate.backtest_many`).
    """
    from jpmacro_bt.engine.metrics import calendar_years, periods_per_year
    from jpmacro_bt.engine.simulate import backtest_many, batch_key
    from jpmacro_bt.research.stats import block_stats, return_metrics

    n = len(signals)
    out: dict[str, Any] = {k: np.full(n, np.nan) for k in METRICS}
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
        batch = backtest_many(
            [signals[i] for i in members], init_cash=init_cash, size=size, fees=fees, slippage=slippage, borrow_rate=borrow, leverage=leverage
        )
        index = batch.returns.index
        values = batch.returns.to_numpy()
        metrics = return_metrics(values, periods_per_year(index), calendar_years(index))
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
               costs: tuple[Any, Any, Any], leverage: float | None = None):
    """One combination alone, as a run makes it (data cut at ``end``, traded from ``start``), on the batch path.

    Returns ``(returns, trades)``. The returns equal :func:`jpmacro_bt.engine.simulate.backtest`'s bit for bit; going
    through :func:`~jpmacro_bt.engine.simulate.backtest_many` keeps one compiled simulation per process (vectorbt's
    signal simulation is compiled per argument layout and not cached on disk).
    """
    from jpmacro_bt.events import load_events
    from jpmacro_bt.engine.simulate import backtest_many

    cut = data.truncate(end) if end is not None else data
    sig = strategy.signals(cut, load_events()).cut(start, None)
    fees, slippage, borrow = costs
    batch = backtest_many([sig], init_cash=init_cash, size=size, fees=fees, slippage=slippage, borrow_rate=borrow, leverage=leverage)
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


def executor(name: str, scheduler: str | None):
    if name == "local":
        if scheduler:
            raise SweepError("--scheduler needs --executor dask")
        return _Local()
    if name == "dask":
        return _Dask(scheduler)
    raise SweepError(f"unknown executor {name!r}{did_you_mean(name, ('local', 'dask'))}; use local or dask")

