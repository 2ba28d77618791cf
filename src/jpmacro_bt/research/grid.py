"""Parameter grids of a sweep: ``--grid`` parsed into every combination, each checked by the strategy.

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

import itertools
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


from jpmacro_bt.errors import StrategyError, did_you_mean
from jpmacro_bt.catalog import StrategySpec

__all__ = ["MAX_COMBINATIONS", "Grid", "parse_grid", "show"]

MAX_COMBINATIONS = 1_000_000


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


def show(value: Any) -> str:
    """A parameter value as the grid and the pages print it: ``none``, ``0.01``, ``20``."""
    if value is None or isinstance(value, float) and math.isnan(value):
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
