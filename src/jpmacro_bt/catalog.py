"""The strategy catalog: strategy files found in a folder, loaded and built from parameters.

A strategy folder is code the user chose to run: ``find`` executes only the
file of the id it is given, ``discover`` every file in the folder.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jpmacro_bt.errors import StrategyError, did_you_mean
from jpmacro_bt.strategy import Strategy

__all__ = ["StrategySpec", "default_strategies_dir", "discover", "find", "load_strategy", "spec_of_class"]


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
    return spec_of_class(classes[0], sid, path)


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
