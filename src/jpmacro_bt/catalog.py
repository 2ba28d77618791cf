"""The strategy catalog: strategy files found in a folder, loaded and built from parameters.

A strategy folder is code the user chose to run: ``find`` executes only the
file of the id it is given, ``discover`` and ``survey`` every file in the
folder. An id is a file name in that folder and nothing else: a Python
identifier, so no path can reach outside the folder.

User code fails in ways the package cannot prevent; a file loaded here fails
as one :class:`~jpmacro_bt.errors.StrategyError` line naming the file and the
line: a syntax error, an exception in ``signals()``, ``needs()`` or
``benchmark()``, or ``signals()`` returning something that is not
:class:`~jpmacro_bt.strategy.Signals` of numbers and booleans. The exception
stays attached as ``__cause__`` for whoever debugs the strategy in Python.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import math
import os
import re
import sys
import traceback
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from jpmacro_bt.errors import JpMacroError, StrategyError, did_you_mean
from jpmacro_bt.strategy import Signals, Strategy

__all__ = ["StrategySpec", "default_strategies_dir", "discover", "find", "is_strategy_id", "load_strategy", "spec_of_class", "survey"]


@functools.lru_cache(maxsize=256)
def _type_hints(cls: type) -> dict[str, Any]:
    """The class's resolved annotations (about 0.1 ms each time: a sweep builds its strategy once per combination)."""
    return typing.get_type_hints(cls)


@dataclass(frozen=True)
class StrategySpec:
    """A discovered strategy: its id, file and class."""

    id: str
    path: Path | None  # None for a class defined in a notebook
    cls: type[Strategy]

    @property
    def source(self) -> str:
        """The strategy's code: its file, or the class's own source when it has no file."""
        if self.path is not None:
            return self.path.read_text(encoding="utf-8")
        import inspect

        try:
            return inspect.getsource(self.cls)
        except (OSError, TypeError):
            return ""

    @property
    def claim(self) -> str:
        return self.cls.claim

    def parameters(self) -> list[dataclasses.Field]:
        return list(dataclasses.fields(self.cls))

    def build(self, overrides: Mapping[str, str | Any] | None = None) -> Strategy:
        """Instantiate with defaults, overridden by ``overrides`` (strings are parsed by type)."""
        overrides = dict(overrides or {})
        fields = {f.name: f for f in self.parameters()}
        kwargs = {}
        for name, raw in overrides.items():
            if name not in fields:
                known = ", ".join(fields) or "none"
                raise StrategyError(
                    f"unknown parameter {name!r} for {self.id}{did_you_mean(name, fields)}; its parameters are: {known}"
                )
            value = _coerce(self.id, name, raw, _type_hints(self.cls)[name]) if isinstance(raw, str) else raw
            if isinstance(value, float) and not math.isfinite(value):
                raise StrategyError(f"parameter {name}={value!r} is not a finite number for {self.id}; give a number, e.g. --param {name}=<number>")
            kwargs[name] = value
        try:
            return self.cls(**kwargs)
        except JpMacroError:
            raise
        except Exception as exc:  # the strategy's own __post_init__
            raise StrategyError(_raised(exc, self.id, f"{self.cls.__name__}(...)", self.path)) from exc


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
            value = base(raw)
            if base is float and not math.isfinite(value):  # nan and inf pass every bound (nan < 0 is False) and are not JSON
                raise StrategyError(f"parameter {name}={raw!r} is not a finite number for {strategy}; e.g. --param {name}=<float>")
            return value
    except ValueError:
        pass
    else:
        raise StrategyError(f"parameter {name} of {strategy} has unsupported type {hint}")
    extra = " or none" if optional else ""
    example = "true or false" if base is bool else f"<{base.__name__}>"
    raise StrategyError(f"parameter {name}={raw!r} is not a valid {base.__name__}{extra} for {strategy}; e.g. --param {name}={example}")


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


def is_strategy_id(text: str) -> bool:
    """A strategy id names a file in the strategies folder: a Python identifier not starting with ``_``."""
    return text.isidentifier() and not text.startswith("_")


def _bad_name(path: Path) -> str:
    suggestion = re.sub(r"\W", "_", path.stem).strip("_") or "my_strategy"
    if suggestion[0].isdigit():
        suggestion = f"s_{suggestion}"
    return f"{path}: {path.stem!r} is not a strategy id (letters, digits and _, not starting with a digit); rename it {suggestion}.py"


# --- user code fails as one line naming its file and line ---------------------------------


def _same_file(a: str, b: str | os.PathLike) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _frames(exc: BaseException, path: Path | None) -> tuple[Any, Any]:
    """The deepest frame of ``exc`` in the strategy's file (else the deepest of all), and the deepest of all."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if path is not None and _same_file(f.filename, path)]
    return (own or frames or [None])[-1], (frames[-1] if frames else None)


def _raised(exc: BaseException, sid: str, call: str, path: Path | None) -> str:
    """``file:line: call of sid raised Error: message``: the deepest line of the strategy's file, and the
    line the exception came from when that is elsewhere (a library the strategy called)."""
    frame, inner = _frames(exc, path)
    where = f"{frame.filename}:{frame.lineno}: " if frame is not None else ""
    beyond = f" (at {inner.filename}:{inner.lineno})" if inner is not None and inner is not frame else ""
    return f"{where}{call} of {sid} raised {_one_line(exc)}{beyond}; fix the strategy"


def _located(exc: StrategyError, sid: str, call: str, path: Path) -> StrategyError:
    """``exc`` (the package's own words about what the strategy did) with the strategy's file and line in front."""
    frame, _ = _frames(exc, path)
    if frame is None or not _same_file(frame.filename, path) or str(exc).startswith(f"{frame.filename}:"):
        return exc
    return StrategyError(f"{frame.filename}:{frame.lineno}: {call} of {sid}: {exc}")


def _defined_at(func: Callable) -> str:
    code = getattr(func, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else "?"


def _check_frame(value: Any, what: str, *, numbers: bool) -> str | None:
    """Why ``value`` (one Signals field) cannot be simulated, or None."""
    if not isinstance(value, pd.Series | pd.DataFrame):
        return f"{what} is a {type(value).__name__}, not a pandas Series or DataFrame"
    columns = [value] if isinstance(value, pd.Series) else [value.iloc[:, i] for i in range(value.shape[1])]
    for column in columns:
        dtype = column.dtype
        ok = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) if numbers else (
            pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)
        )
        if not ok:
            sample = column.dropna()
            day = sample.index[0] if len(sample) else None
            example = f" (e.g. {sample.iloc[0]!r} on {day:%Y-%m-%d})" if isinstance(day, pd.Timestamp) else ""
            need = "numbers" if numbers else "booleans"
            return f"{what} holds {dtype} values{example}, not {need}"
    return None


def _check_signals(out: Any, sid: str, func: Callable) -> None:
    at = _defined_at(func)
    if not isinstance(out, Signals):
        raise StrategyError(f"{at}: signals() of {sid} returned {type(out).__name__}, not Signals; end it with `return Signals(close=..., entries=..., exits=...)`")
    problem = _check_frame(out.close, "close", numbers=True)
    for name in ("entries", "exits", "short_entries", "short_exits"):
        if problem is None and getattr(out, name) is not None:
            problem = _check_frame(getattr(out, name), name, numbers=False)
    if problem is None and out.target_weights is not None:
        problem = _check_frame(out.target_weights, "target_weights", numbers=True)
    if problem is not None:
        raise StrategyError(f"{at}: signals() of {sid}: {problem}; convert it, e.g. with .astype(float) or .astype(bool)")


def _guarded(func: Callable, sid: str, path: Path, check: Callable[[Any, str, Callable], None] | None = None) -> Callable:
    @functools.wraps(func)
    def call(self, *args, **kwargs):
        try:
            out = func(self, *args, **kwargs)
        except StrategyError as exc:  # e.g. Signals refusing what it was given: say where
            located = _located(exc, sid, f"{func.__name__}()", path)
            if located is exc:
                raise
            raise located from exc
        except JpMacroError:
            raise  # a message the package wrote for the user (missing data, a calendar)
        except Exception as exc:
            raise StrategyError(_raised(exc, sid, f"{func.__name__}()", path)) from exc
        if check is not None:
            check(out, sid, func)
        return out

    return call


def _check_needs(out: Any, sid: str, func: Callable) -> None:
    if isinstance(out, str) or not isinstance(out, tuple | list) or not out or not all(isinstance(s, str) for s in out):
        raise StrategyError(f"{_defined_at(func)}: needs() of {sid} returned {out!r}; return a tuple of symbols, e.g. (\"USDJPY\",)")


def _check_benchmark(out: Any, sid: str, func: Callable) -> None:
    if not isinstance(out, pd.Series):
        raise StrategyError(f"{_defined_at(func)}: benchmark() of {sid} returned a {type(out).__name__}; return a pandas Series of daily returns")


def _guard(cls: type[Strategy], sid: str, path: Path) -> None:
    """Make the class's user code fail as one line naming its file (the class was made by this load, so is ours to wrap)."""
    cls.signals = _guarded(cls.signals, sid, path, _check_signals)
    cls.needs = _guarded(cls.needs, sid, path, _check_needs)
    cls.benchmark = _guarded(cls.benchmark, sid, path, _check_benchmark)


def _exec_module(module: types.ModuleType, loader: Any, sid: str, path: Path) -> None:
    try:
        loader.exec_module(module)
    except SyntaxError as exc:  # IndentationError included
        raise StrategyError(f"{exc.filename or path}:{exc.lineno}: syntax error in strategy {sid}: {exc.msg}; fix the file") from exc
    except JpMacroError:
        raise
    except Exception as exc:
        raise StrategyError(_raised(exc, sid, "loading the file", path)) from exc


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
        _exec_module(module, spec.loader, sid, path)
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
    loaded = spec_of_class(classes[0], sid, path)
    _guard(loaded.cls, sid, path)
    return loaded


def spec_of_class(cls: Any, strategy_id: str | None = None, path: Path | None = None) -> StrategySpec:
    """The spec of a Strategy class: one loaded from a file, or one defined in a notebook (``path`` None)."""
    where = f" in {path}" if path else ""
    if not (isinstance(cls, type) and issubclass(cls, Strategy)) or cls is Strategy:
        raise StrategyError(f"{cls!r} is not a Strategy subclass; define `class MyIdea(Strategy)` as a @dataclass(frozen=True)")
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:
        raise StrategyError(f"{cls.__name__}{where} must be a @dataclass(frozen=True)")
    if not cls.claim or not cls.symbols:
        raise StrategyError(f"{cls.__name__}{where} must state its `claim` and its `symbols`")
    return StrategySpec(strategy_id or _snake(cls.__name__), path, cls)


def _snake(name: str) -> str:
    """``BojHikeLongJpy`` -> ``boj_hike_long_jpy``: a class's id, as its file would be named."""
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def survey(directory: Path | None = None) -> tuple[dict[str, StrategySpec], dict[str, str]]:
    """Every strategy in ``directory`` that loads, by id, and for each file that does not, why (one line)."""
    directory = directory or default_strategies_dir()
    specs: dict[str, StrategySpec] = {}
    broken: dict[str, str] = {}
    for path in _module_files(directory):
        if not is_strategy_id(path.stem):
            broken[path.stem] = _bad_name(path)
            continue
        try:
            specs[path.stem] = load_strategy(path)
        except JpMacroError as exc:
            broken[path.stem] = str(exc)
    return specs, broken


def discover(directory: Path | None = None) -> dict[str, StrategySpec]:
    """Every strategy in ``directory`` (default: the bundled ones), by id; a file that does not load is an error."""
    specs, broken = survey(directory)
    if broken:
        raise StrategyError(next(iter(broken.values())))
    return specs


def find(strategy_id: str, directory: Path | None = None) -> StrategySpec:
    """The strategy called ``strategy_id``; an unknown id suggests the closest one.

    The id is checked before anything is read: a path (``../x/evil``,
    ``/abs/evil``) never reaches a file outside the folder.
    """
    directory = directory or default_strategies_dir()
    if not strategy_id.isidentifier():
        stem = Path(strategy_id).stem if strategy_id.endswith(".py") else strategy_id
        raise StrategyError(
            f"strategy id {strategy_id!r} is not a name in the strategies folder{did_you_mean(stem, [p.stem for p in _module_files(directory)])}; "
            "give a file name without .py (`jpmacro-bt list` shows them), and --strategies DIR for another folder"
        )
    path = directory / f"{strategy_id}.py"
    if not path.is_file() or strategy_id.startswith("_"):
        known = [p.stem for p in _module_files(directory)]
        raise StrategyError(
            f"unknown strategy {strategy_id!r}{did_you_mean(strategy_id, known)}; `jpmacro-bt list` shows them"
        )
    return load_strategy(path)
