"""The strategy contract and the loader of strategy folders.

A strategy is a module in a strategies folder; its id is the file name. The
module defines one frozen dataclass subclassing :class:`Strategy`:

* class attributes ``claim`` (one line), ``source`` (the research it comes
  from), ``symbols`` (what it needs with default parameters; ``needs()`` may
  depend on the parameters) and optionally ``calendars`` (the event calendars
  it reads, so a run can warn when it outruns them);
* parameters as typed dataclass fields declared with :func:`param` (default,
  bounds, unit, sweep grid);
* a pure, vectorised ``signals(data, events) -> Signals``;
* ``benchmark(data) -> pd.Series`` of daily benchmark returns (default: cash).

Only the module files a user points at are executed; nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from jpmacro_bt.errors import StrategyError, did_you_mean

__all__ = [
    "Signals",
    "Strategy",
    "StrategySpec",
    "default_strategies_dir",
    "discover",
    "hold_for",
    "load_strategy",
    "param",
]


def param(default: Any, *, min: float | None = None, max: float | None = None, help: str = "", grid: Sequence[Any] = ()) -> Any:
    """Declare a strategy parameter: default, inclusive bounds, help text with its unit, sweep grid."""
    return dataclasses.field(default=default, metadata={"min": min, "max": max, "help": help, "grid": tuple(grid)})


def hold_for(entries: pd.Series, bars: int) -> tuple[pd.Series, pd.Series]:
    """Entries kept and their exits ``bars`` bars later.

    An entry that falls inside an earlier entry's holding window is dropped,
    so a window is never cut short or extended by a later signal (and a stop
    inside a window does not re-open a trade before it ends). Uses only past
    and current bars: cutting the series never changes earlier output.
    """
    flags = entries.to_numpy(dtype=bool)
    keep = np.zeros_like(flags)
    leave = np.zeros_like(flags)
    free_from = 0
    for i in np.flatnonzero(flags):
        if i >= free_from:
            keep[i] = True
            if i + bars < len(flags):
                leave[i + bars] = True
            free_from = i + bars
    return pd.Series(keep, index=entries.index), pd.Series(leave, index=entries.index)


@dataclass(frozen=True)
class Signals:
    """What a strategy wants traded, in vectorbt's own argument names.

    Either entries/exits (long and/or short) on ``close``, or ``target_weights``
    (fraction of equity per bar, NaN = keep). ``sl_stop`` is a stop-loss as a
    fraction of the entry price. ``close`` may be a Series or, for several
    assets traded with shared cash, a DataFrame.
    """

    close: pd.Series | pd.DataFrame
    entries: pd.Series | pd.DataFrame | None = None
    exits: pd.Series | pd.DataFrame | None = None
    short_entries: pd.Series | pd.DataFrame | None = None
    short_exits: pd.Series | pd.DataFrame | None = None
    sl_stop: float | None = None
    target_weights: pd.Series | pd.DataFrame | None = None

    def __post_init__(self) -> None:
        arrays = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("close", "sl_stop")}
        given = {k: v for k, v in arrays.items() if v is not None}
        if not given:
            raise StrategyError("signals: give entries/exits or target_weights")
        if self.target_weights is not None and len(given) > 1:
            raise StrategyError("signals: give either entries/exits or target_weights, not both")
        for name, value in given.items():
            if not value.index.equals(self.close.index):
                raise StrategyError(f"signals: {name} is not indexed like close")

    def cut(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Signals:
        """The same signals on bars ``start .. end``."""
        sl = slice(start, end)
        return dataclasses.replace(
            self,
            **{f.name: getattr(self, f.name).loc[sl] for f in dataclasses.fields(self) if isinstance(getattr(self, f.name), pd.Series | pd.DataFrame)},
        )


@dataclass(frozen=True)
class Strategy:
    """Base of every strategy; subclasses are frozen dataclasses."""

    claim: ClassVar[str] = ""
    source: ClassVar[str] = ""
    symbols: ClassVar[tuple[str, ...]] = ()
    calendars: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            lo, hi = f.metadata.get("min"), f.metadata.get("max")
            if value is None:
                continue
            if lo is not None and value < lo or hi is not None and value > hi:
                bounds = f"between {lo} and {hi}" if lo is not None and hi is not None else (f">= {lo}" if lo is not None else f"<= {hi}")
                raise StrategyError(f"parameter {f.name}={value!r} is out of range: use a value {bounds}")

    def signals(self, data: Any, events: Any) -> Signals:  # pragma: no cover - abstract
        raise NotImplementedError

    def needs(self) -> tuple[str, ...]:
        """Symbols to load for these parameters; the first is the one traded, whose
        asset class sets the default costs. The default is the class's ``symbols``;
        a strategy whose parameters choose an asset overrides this."""
        return self.symbols

    def benchmark(self, data: Any) -> pd.Series:
        """Daily returns of the benchmark; the default is cash (zero)."""
        close = data.close(self.needs()[0])
        return pd.Series(0.0, index=close.index, name="cash")

    @property
    def benchmark_name(self) -> str:
        return "cash"

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class StrategySpec:
    """A discovered strategy: its id, file and class."""

    id: str
    path: Path
    cls: type[Strategy]

    @property
    def claim(self) -> str:
        return self.cls.claim

    def parameters(self) -> list[dataclasses.Field]:
        return list(dataclasses.fields(self.cls))

    def build(self, overrides: Mapping[str, str | Any] | None = None) -> Strategy:
        """Instantiate with defaults, overridden by ``overrides`` (strings are parsed by type)."""
        overrides = dict(overrides or {})
        fields = {f.name: f for f in self.parameters()}
        hints = typing.get_type_hints(self.cls)
        kwargs = {}
        for name, raw in overrides.items():
            if name not in fields:
                known = ", ".join(fields) or "none"
                raise StrategyError(
                    f"unknown parameter {name!r} for {self.id}{did_you_mean(name, fields)}; its parameters are: {known}"
                )
            kwargs[name] = _coerce(self.id, name, raw, hints[name]) if isinstance(raw, str) else raw
        return self.cls(**kwargs)


def _coerce(strategy: str, name: str, raw: str, hint: Any) -> Any:
    """Parse a ``--param`` string into the field's type (int, float, bool, str, or X | None)."""
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if args else hint
    if optional and raw.strip().lower() in ("none", "off", ""):
        return None
    try:
        if base is bool:
            low = raw.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return low in ("true", "1", "yes")
        if base in (int, float, str):
            return base(raw)
    except ValueError:
        pass
    else:
        raise StrategyError(f"parameter {name} of {strategy} has unsupported type {hint}")
    extra = " or none" if optional else ""
    raise StrategyError(f"parameter {name}={raw!r} is not a valid {base.__name__}{extra} for {strategy}; e.g. --param {name}=<{base.__name__}>")


def default_strategies_dir() -> Path:
    """The bundled strategies: ``strategies/`` beside ``src/`` in a checkout, else inside the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "strategies", here / "strategies"):
        if candidate.is_dir():
            return candidate
    raise StrategyError("no strategies folder found; pass --strategies DIR")


def _module_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise StrategyError(f"strategies folder {str(directory)!r} does not exist; pass an existing folder to --strategies")
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


def load_strategy(path: Path) -> StrategySpec:
    """Execute one strategy file and return its spec."""
    sid = path.stem
    modname = f"jpmacro_bt_strategies.{sid}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise StrategyError(f"cannot load strategy file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("jpmacro_bt_strategies", types.ModuleType("jpmacro_bt_strategies"))
    # dataclasses resolve annotations through sys.modules while the class body runs.
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except Exception:
        sys.modules.pop(modname, None)
        raise
    classes = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Strategy) and obj is not Strategy and obj.__module__ == modname
    ]
    if len(classes) != 1:
        raise StrategyError(f"{path} must define exactly one Strategy subclass, found {len(classes)}")
    cls = classes[0]
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:
        raise StrategyError(f"{cls.__name__} in {path} must be a @dataclass(frozen=True)")
    if not cls.claim or not cls.symbols:
        raise StrategyError(f"{cls.__name__} in {path} must state its `claim` and its `symbols`")
    return StrategySpec(sid, path, cls)


def discover(directory: Path | None = None) -> dict[str, StrategySpec]:
    """Every strategy in ``directory`` (default: the bundled ones), by id."""
    directory = directory or default_strategies_dir()
    return {p.stem: load_strategy(p) for p in _module_files(directory)}


def find(strategy_id: str, directory: Path | None = None) -> StrategySpec:
    """The strategy called ``strategy_id``; an unknown id suggests the closest one."""
    directory = directory or default_strategies_dir()
    path = directory / f"{strategy_id}.py"
    if not path.is_file() or strategy_id.startswith("_"):
        known = [p.stem for p in _module_files(directory)]
        raise StrategyError(
            f"unknown strategy {strategy_id!r}{did_you_mean(strategy_id, known)}; `jpmacro-bt list` shows them"
        )
    return load_strategy(path)
