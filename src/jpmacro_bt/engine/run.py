"""One backtest: a strategy, its settings and its data in, a :class:`RunResult` out.

``run_strategy`` loads the data a strategy needs (cut at ``end``, so the
strategy sees nothing later), computes its signals on all of that history
(indicators get their warm-up) and trades them on ``start .. end``.
:mod:`jpmacro_bt.reports.runfolder` writes the result to a run folder.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.data import MarketData, load_market_data
from jpmacro_bt.errors import DataError, JpMacroWarning, StrategyError
from jpmacro_bt.events import Events, load_events
from jpmacro_bt.engine.simulate import Backtest, backtest
from jpmacro_bt.strategy import Strategy
from jpmacro_bt.catalog import StrategySpec
from jpmacro_bt.symbols import ASSET_CLASS_COSTS, get_symbol

__all__ = ["Prepared", "check_money", "RunResult", "RunSettings", "check_period", "check_range", "compute_signals", "package_warnings", "prepare", "run_strategy"]


# The engine's own bounds (engine.simulate), checked when settings are made: before any data is loaded or strategy code runs.
MAX_SIZE = 10.0
_COST_BOUNDS = {
    "--fees": (0.1, "--fees 0.0002 for 2 bp"),
    "--slippage": (0.1, "--slippage 0.0001 for 1 bp"),
    "--borrow": (1.0, "--borrow 0.005 for 0.5 % a year"),
}


def check_money(*, init_cash: float, size: float, fees: float | None = None, slippage: float | None = None, borrow: float | None = None) -> None:
    """Refuse money settings no backtest can use (NaN and infinities included), naming the option and a valid value."""
    if not (math.isfinite(init_cash) and init_cash > 0):
        raise StrategyError(f"--init-cash {init_cash:g} is not a positive amount of money; e.g. --init-cash 100000")
    if not (math.isfinite(size) and 0 < size <= MAX_SIZE):
        raise StrategyError(f"--size {size:g} is out of range: use a fraction of equity above 0 and at most {MAX_SIZE:g}, e.g. --size 1")
    for flag, value in (("--fees", fees), ("--slippage", slippage), ("--borrow", borrow)):
        top, example = _COST_BOUNDS[flag]
        if value is not None and not 0 <= value < top:  # NaN fails every comparison, so it lands here too
            raise StrategyError(f"{flag} {value:g} is out of range: use a fraction from 0 to below {top:g}, e.g. {example}")


def _known(name: str):
    """The registry symbol called ``name``, or None for a derived column (a basket, a synthetic bond)."""
    from jpmacro_bt.errors import DataError

    try:
        return get_symbol(name)
    except DataError:
        return None


@dataclass(frozen=True)
class RunSettings:
    """Everything besides the strategy's own parameters that shapes a result.

    ``fees``/``slippage``/``borrow`` of None take the default of the traded
    asset class (``symbols.ASSET_CLASS_COSTS``) of the traded symbol (``needs()[0]``).
    """

    start: date | None = None
    end: date | None = None
    init_cash: float = 100_000.0
    size: float = 1.0
    fees: float | None = None
    slippage: float | None = None
    borrow: float | None = None
    source: str | None = None
    data_dir: Path | None = None
    offline: bool = False
    # Daily moves allowed beyond the defaults, by symbol, asset class or "yield" (symbols.parse_max_move).
    max_move: dict[str, float] | None = None
    # Largest gross exposure target weights may ask for (None: no more than ``size``).
    leverage: float | None = None

    def __post_init__(self) -> None:
        check_money(init_cash=self.init_cash, size=self.size, fees=self.fees, slippage=self.slippage, borrow=self.borrow)
        if self.leverage is not None and not (math.isfinite(self.leverage) and 0 < self.leverage <= MAX_SIZE):
            raise StrategyError(f"--leverage {self.leverage:g} is out of range: use a multiple of equity above 0 and at most {MAX_SIZE:g}, e.g. --leverage 2")

    def costs_for(self, strategy: Strategy, close: pd.Series | pd.DataFrame) -> tuple[Any, Any, Any]:
        """(fees, slippage, borrow) for trading ``close``: per asset symbol when its
        columns span asset classes and a cost was not set, else :meth:`costs`."""
        first = self.costs(strategy)
        names = [str(c) for c in close.columns] if isinstance(close, pd.DataFrame) else [str(close.name)]
        out: list[Any] = []
        for i, kind in enumerate(("fees", "slippage", "borrow")):
            per = {n: ASSET_CLASS_COSTS[c.asset_class][kind] for n in names if (c := _known(n)) is not None}
            if getattr(self, kind) is not None or len(set(per.values()) | {first[i]}) == 1:
                out.append(first[i])
            else:
                out.append({**per, "*": first[i]})
        return tuple(out)

    def costs(self, strategy: Strategy) -> tuple[float, float, float]:
        """(fees, slippage, borrow) for ``strategy``."""
        default = ASSET_CLASS_COSTS[get_symbol(strategy.needs()[0]).asset_class]
        return (
            default["fees"] if self.fees is None else self.fees,
            default["slippage"] if self.slippage is None else self.slippage,
            default["borrow"] if self.borrow is None else self.borrow,
        )


@dataclass(frozen=True)
class RunResult:
    spec: StrategySpec
    strategy: Strategy
    settings: RunSettings
    data: MarketData
    backtest: Backtest
    benchmark: pd.Series
    metrics: dict[str, dict[str, float | None]]
    warnings: tuple[str, ...] = field(default=())
    costs: tuple[Any, ...] = field(default=())  # fees, slippage, borrow as traded (per symbol for mixed baskets)
    prices: pd.DataFrame | None = None  # the closes traded (carry-inclusive or synthetic where the strategy says), by date

    @property
    def returns(self) -> pd.DataFrame:
        """Daily strategy and benchmark returns on one tz-naive date index."""
        frame = pd.DataFrame({"strategy": self.backtest.returns, "benchmark": self.benchmark})
        frame.index = pd.DatetimeIndex(frame.index).rename("date")
        return frame

    # What write_run needs from any result (a single strategy or a portfolio).
    @property
    def label(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return f"{self.spec.id}: {self.spec.claim}"

    @property
    def trades(self) -> pd.DataFrame:
        return self.backtest.trades

    @property
    def benchmark_name(self) -> str:
        return self.strategy.benchmark_name

    def display_params(self) -> dict[str, Any]:
        def show(cost: Any) -> Any:
            return " ".join(f"{k}:{v:g}" for k, v in cost.items() if k != "*") if isinstance(cost, dict) else cost

        fees, slippage, borrow = self.costs or self.settings.costs(self.strategy)
        return {**self.strategy.params(), "fees": show(fees), "slippage": show(slippage), "borrow": show(borrow)}

    def describe(self) -> dict[str, Any]:
        """The manifest's ``strategy`` entry."""
        fees, slippage, borrow = self.costs or self.settings.costs(self.strategy)
        return {
            "id": self.spec.id,
            "claim": self.spec.claim,
            "source": self.spec.cls.source,
            "file": None if self.spec.path is None else str(self.spec.path),
            "file_sha256": hashlib.sha256(self.spec.path.read_bytes() if self.spec.path else self.spec.source.encode("utf-8")).hexdigest(),
            "params": self.strategy.params(),
            "benchmark": self.strategy.benchmark_name,
            "fees": fees,
            "slippage": slippage,
            "borrow": borrow,
        }

    def fingerprint(self) -> dict[str, dict[str, str]]:
        return self.data.fingerprint()

    def calendars_used(self) -> tuple[str, ...]:
        return self.strategy.calendars

    def config_key(self) -> dict[str, Any]:
        return {"params": self.strategy.params(), "settings": vars(self.settings)}


def check_range(settings: RunSettings) -> None:
    """``--start`` must not come after ``--end``."""
    if settings.start and settings.end and settings.start > settings.end:
        raise DataError(f"--start {settings.start} is after --end {settings.end}; swap them")


@dataclass(frozen=True)
class Prepared:
    """What a run and a sweep share before any signal: the data cut at ``end``, the calendars, the first date traded."""

    data: MarketData
    events: Events
    calendars: tuple[Any, ...]
    start: pd.Timestamp | None


def prepare(needs: Sequence[str], calendars: tuple[str, ...], settings: RunSettings, *, data: MarketData | None = None) -> Prepared:
    """Load (or cut) the data for ``needs`` and choose the first date traded.

    Without ``--start``, trading starts once every symbol has data and the
    strategy's calendars have begun.
    """
    check_range(settings)
    if data is None:
        data = load_market_data(
            list(needs), end=settings.end, source=settings.source, data_dir=settings.data_dir, offline=settings.offline, max_move=settings.max_move
        )
    elif settings.end:
        data = data.truncate(settings.end)
    events = load_events()
    used = events.used(calendars)
    firsts = [b.frame.index[0].date() for b in data.bars.values()] + [c.complete_from for c in used]
    start = settings.start or (max(firsts) if firsts else None)
    return Prepared(data, events, used, pd.Timestamp(start) if start else None)


def check_period(label: str, index: pd.DatetimeIndex, settings: RunSettings, calendars: Sequence[Any], *, what: str = "run") -> None:
    """Refuse fewer than two bars; warn when the data end before ``--end`` or the period outruns a calendar."""
    if len(index) < 2:
        raise DataError(f"{label}: fewer than two bars between {settings.start or 'the start'} and {settings.end or 'the end'}; widen --start/--end")
    last = index[-1]
    if settings.end and (pd.Timestamp(settings.end) - last).days > 7:
        warnings.warn(f"data end on {last:%Y-%m-%d}, before --end {settings.end}; the {what} stops there", JpMacroWarning, stacklevel=2)
    for cal in calendars:
        cal.warn_if_incomplete(index[0], last)


@contextmanager
def package_warnings() -> Iterator[list[str]]:
    """Collect the package's warnings raised inside the block into the yielded list; others pass through."""
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", JpMacroWarning)
        yield caught
    for w in seen:
        if issubclass(w.category, JpMacroWarning):
            caught.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _check_prices(close: pd.Series | pd.DataFrame) -> None:
    """A traded price must be positive: returns of a price at or below zero mean nothing."""
    frame = close.to_frame() if isinstance(close, pd.Series) else close
    bad = frame.le(0).stack()
    if bad.any():
        (day, symbol) = bad[bad].index[0]
        value = frame.loc[day, symbol]
        raise DataError(
            f"{symbol} closes at {value:g} on {day:%Y-%m-%d}: a traded price must be positive; "
            f"start after it with --start, or trade another instrument"
        )


def _traded_prices(close: pd.Series | pd.DataFrame, data: MarketData) -> pd.DataFrame:
    """The closes traded, by date; a column that is not the symbol's quoted close (carry-inclusive FX, a
    synthetic bond) is named so, e.g. ``USDJPY (carry-inclusive)``, so no one reads it as the quote."""
    frame = close.to_frame() if isinstance(close, pd.Series) else close
    frame = frame.set_axis(pd.DatetimeIndex(frame.index).tz_localize(None).rename("date"), axis=0)
    names = {}
    for col in frame.columns:
        if str(col) in data.bars:
            quoted = data.close(str(col)).reindex(frame.index)
            if not np.allclose(frame[col].to_numpy(float), quoted.to_numpy(float), rtol=1e-12, equal_nan=True):
                names[col] = f"{col} (carry-inclusive)" if get_symbol(str(col)).asset_class == "fx" else f"{col} (as traded)"
    return frame.rename(columns=names)


def compute_signals(strategy: Strategy, data: MarketData, events: Events):
    """The strategy's signals on ``data`` (a seam for the no-look-ahead test)."""
    return strategy.signals(data, events)


def run_strategy(spec: StrategySpec, strategy: Strategy, settings: RunSettings, *, data: MarketData | None = None) -> RunResult:
    """Backtest ``strategy`` under ``settings``; ``data`` overrides loading (tests, portfolios)."""
    from jpmacro_bt.engine.metrics import compute_metrics

    with package_warnings() as caught:
        ready = prepare(strategy.needs(), strategy.calendars, settings, data=data)
        data = ready.data
        signals = compute_signals(strategy, data, ready.events).cut(ready.start, None)
        _check_prices(signals.close)
        index = signals.close.index
        check_period(spec.id, index, settings, ready.calendars)
        fees, slippage, borrow = settings.costs_for(strategy, signals.close)
        result = backtest(
            signals, init_cash=settings.init_cash, size=settings.size, fees=fees, slippage=slippage, borrow_rate=borrow, leverage=settings.leverage
        )
        if result.trades.empty:
            warnings.warn(
                f"no trade from {index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d}: the signals never fired, so the run stayed flat "
                "(its report says so); widen --start/--end or change the parameters",
                JpMacroWarning,
                stacklevel=1,
            )
        bench = strategy.benchmark(data).reindex(index).fillna(0.0)
        bench.iloc[0] = 0.0  # the benchmark starts with the backtest, not before
        bench = bench.rename("benchmark")
        metrics = {
            "strategy": compute_metrics(result.returns, trades=result.trades, exposure=result.exposure),
            "benchmark": compute_metrics(bench),
        }
    prices = _traded_prices(signals.close, data)
    return RunResult(spec, strategy, settings, data, result, bench, metrics, tuple(caught), (fees, slippage, borrow), prices)
