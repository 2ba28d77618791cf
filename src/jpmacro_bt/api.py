"""The Python API: a backtest, a sweep or a comparison in one call, as natural in a notebook as the CLI in a shell.

::

    import jpmacro_bt as jb

    r = jb.run("boj_hike_long_jpy", hold_days=10, start="2016-01-01")
    r.stats()      # metrics beside the benchmark's, a DataFrame
    r.trades       # one row per position
    r.plot()       # a matplotlib Figure: trades and events on the price, equity, drawdown
    r.save()       # the run folder the CLI writes; the run is recorded as a trial

    jb.sweep("boj_hike_long_jpy", hold_days=range(1, 61)).table
    jb.compare([r, jb.run("boj_hike_long_jpy", hold_days=5)]).table
    jb.list_strategies()

``strategy`` is an id from the strategies folder, or a :class:`~jpmacro_bt.strategy.Strategy`
subclass defined in the notebook itself. Keyword arguments that are not settings
are the strategy's parameters (or, for ``sweep``, their grids). Numbers are the
CLI's: the same functions compute them.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from jpmacro_bt.errors import StrategyError

__all__ = ["Comparison", "Result", "SweepRun", "compare", "list_strategies", "run", "sweep"]

# Keyword arguments of run() and sweep() that are settings, not strategy parameters.
_SETTINGS = ("start", "end", "fees", "slippage", "borrow", "init_cash", "size", "source", "data_dir", "offline", "max_move", "leverage")


def _spec(strategy: Any, strategies_dir: str | Path | None):
    from jpmacro_bt.catalog import StrategySpec, find, spec_of_class

    if isinstance(strategy, StrategySpec):
        return strategy
    if isinstance(strategy, str):
        return find(strategy, Path(strategies_dir) if strategies_dir else None)
    if isinstance(strategy, type):
        return spec_of_class(strategy)
    raise StrategyError(f"strategy={strategy!r}: pass a strategy id such as 'boj_hike_long_jpy' or a Strategy subclass")


def _date(value: Any, name: str) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, pd.Timestamp):
        return value
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        from jpmacro_bt.errors import DataError

        raise DataError(f"{name}={value!r} is not a date; use 'YYYY-MM-DD', e.g. {name}='2016-01-01'") from None


def _settings(kw: dict[str, Any]):
    from jpmacro_bt.engine.run import RunSettings

    values = {k: kw.pop(k) for k in _SETTINGS if k in kw}
    for name in ("start", "end"):
        values[name] = _date(values.get(name), name)
    if values.get("data_dir") is not None:
        values["data_dir"] = Path(values["data_dir"])
    return RunSettings(**values)


def _table_html(frame: pd.DataFrame, caption: str) -> str:
    return f"<p><b>{html.escape(caption)}</b></p>" + frame.to_html(escape=True, na_rep="-")


class Result:
    """One backtest (or portfolio) in memory: metrics, returns, trades, a figure, and ``save()`` for its run folder."""

    def __init__(self, result: Any) -> None:
        self._result = result

    @property
    def label(self) -> str:
        return self._result.label

    @property
    def returns(self) -> pd.DataFrame:
        """Daily returns of the strategy and its benchmark, by date."""
        return self._result.returns

    @property
    def equity(self) -> pd.Series:
        """The strategy's equity, starting at ``init_cash``."""
        return (1 + self.returns["strategy"]).cumprod() * self._result.settings.init_cash

    @property
    def trades(self) -> pd.DataFrame:
        return self._result.trades

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self._result.warnings)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._result.display_params())

    def stats(self) -> pd.DataFrame:
        """Every headline metric (rows, by label) of the strategy and of its benchmark (columns)."""
        from jpmacro_bt.engine.metrics import METRICS, label

        m = self._result.metrics
        return pd.DataFrame(
            {self.label: [m["strategy"].get(k) for k in METRICS], f"benchmark: {self._result.benchmark_name}": [m["benchmark"].get(k) for k in METRICS]},
            index=pd.Index([label(k) for k in METRICS], name="metric"),
            dtype=float,
        )

    def plot(self):
        """A Figure: the traded price with entries, exits and the calendar's events; equity against the benchmark; drawdown."""
        import matplotlib.pyplot as plt

        from jpmacro_bt.reports.trades_chart import event_markers, trades_axes

        r = self.returns
        fig, (top, mid, low) = plt.subplots(3, 1, figsize=(10, 8), sharex=True, height_ratios=(3, 2, 1))
        prices = self._result.prices
        if prices is not None:
            trades_axes(top, prices.loc[r.index[0] : r.index[-1]], self.trades, event_markers(self._result.calendars_used()[:1], r.index[0], r.index[-1]))
        top.set_title(f"{self.label}: traded price, trades and events", fontsize=10)
        growth = (1 + r).cumprod()
        mid.plot(growth.index, growth["strategy"], label=self.label, lw=1.1)
        mid.plot(growth.index, growth["benchmark"], label=f"benchmark: {self._result.benchmark_name}", lw=0.9, alpha=0.8)
        mid.set_ylabel("growth of 1")
        mid.legend(fontsize=8)
        mid.grid(alpha=0.3)
        drawdown = growth["strategy"] / growth["strategy"].cummax() - 1
        low.fill_between(drawdown.index, drawdown.to_numpy(), 0.0, color="#d62728", alpha=0.4)
        low.set_ylabel("drawdown")
        low.yaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
        low.grid(alpha=0.3)
        fig.tight_layout()
        plt.close(fig)  # returned, not shown twice in Jupyter
        return fig

    def save(self, reports_dir: str | Path = "reports", *, tearsheet: bool = True) -> Path:
        """Write the run folder as ``jpmacro-bt run`` does and record the run as a trial; return the folder."""
        from jpmacro_bt.reports.runfolder import save_run

        return save_run(self._result, Path(reports_dir), argv=["python", "jpmacro_bt.run", self.label], tearsheet=tearsheet)

    def _repr_html_(self) -> str:
        from jpmacro_bt.engine.metrics import METRICS, format_metric, label

        m = self._result.metrics
        rows = "".join(
            f"<tr><td>{html.escape(label(k))}</td><td>{html.escape(format_metric(k, m['strategy'].get(k)))}</td>"
            f"<td>{html.escape(format_metric(k, m['benchmark'].get(k)))}</td></tr>"
            for k in METRICS
        )
        index = self.returns.index
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        warn = "".join(f"<p>warning: {html.escape(w)}</p>" for w in self.warnings)
        return (
            f"<p><b>{html.escape(self.label)}</b> ({html.escape(params)}), {index[0]:%Y-%m-%d} .. {index[-1]:%Y-%m-%d}, {len(index)} bars</p>"
            f"<table><thead><tr><th>metric</th><th>{html.escape(self.label)}</th><th>benchmark: {html.escape(self._result.benchmark_name)}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>{warn}"
        )

    def __repr__(self) -> str:
        index = self.returns.index
        return f"<Result {self.label} {index[0]:%Y-%m-%d}..{index[-1]:%Y-%m-%d} sharpe={self._result.metrics['strategy'].get('sharpe')}>"


def run(strategy: Any, *, weights: Sequence[float] | None = None, strategies_dir: str | Path | None = None, data: Any = None, **kwargs: Any) -> Result:
    """Backtest ``strategy`` (an id, a Strategy class, or a list of them held in ``weights``) and return a :class:`Result`.

    Settings: ``start``, ``end`` (dates or 'YYYY-MM-DD'), ``fees``, ``slippage``, ``borrow``, ``init_cash``,
    ``size``, ``source``, ``data_dir``, ``offline``, ``max_move`` (a dict of daily-move bounds), ``leverage``. Any other keyword is a strategy parameter
    (``ID__NAME=value`` for a member of a portfolio). ``data`` (a MarketData) skips loading.
    """
    from jpmacro_bt.engine.run import run_strategy

    settings = _settings(kwargs)
    if isinstance(strategy, (list, tuple)):
        return _portfolio(strategy, weights, strategies_dir, settings, kwargs, data)
    if weights is not None:
        raise StrategyError("weights needs a list of two or more strategies")
    spec = _spec(strategy, strategies_dir)
    return Result(run_strategy(spec, spec.build(kwargs), settings, data=data))


def _portfolio(strategies: Sequence[Any], weights, strategies_dir, settings, params: dict[str, Any], data) -> Result:
    from jpmacro_bt.engine.portfolio import check_weights, combine
    from jpmacro_bt.engine.run import run_strategy

    specs = [_spec(s, strategies_dir) for s in strategies]
    if len(specs) < 2:
        raise StrategyError("a portfolio needs two or more strategies")
    weights = check_weights(tuple(float(w) for w in (weights or [1.0 / len(specs)] * len(specs))), len(specs))
    per: dict[str, dict[str, Any]] = {s.id: {} for s in specs}
    for key, value in params.items():
        sid, sep, name = key.partition("__")
        if not sep or sid not in per:
            raise StrategyError(f"{key}={value!r}: with several strategies write ID__NAME=value, ID one of {', '.join(per)}")
        per[sid][name] = value
    members = [run_strategy(s, s.build(per[s.id]), settings, data=data) for s in specs]
    return Result(combine(members, weights))


def list_strategies(strategies_dir: str | Path | None = None) -> pd.DataFrame:
    """Every strategy: its claim, source, symbols and parameters with their defaults, by id."""
    from jpmacro_bt.catalog import discover

    rows = []
    for sid, spec in discover(Path(strategies_dir) if strategies_dir else None).items():
        rows.append({
            "id": sid, "claim": spec.claim, "source": spec.cls.source, "symbols": " ".join(spec.cls.symbols),
            "parameters": {f.name: f.default for f in spec.parameters()},
        })
    return pd.DataFrame(rows).set_index("id")


def _grid_text(value: Any) -> str:
    from jpmacro_bt.research.grid import show

    values = [value] if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) else list(value)
    return ",".join(show(v) for v in values)


@dataclass(frozen=True)
class SweepRun:
    """A finished sweep: ``table`` (every combination, ranked), ``best`` (its parameters), the statistics of luck, ``save()``."""

    result: Any

    @property
    def table(self) -> pd.DataFrame:
        return self.result.table

    @property
    def best(self) -> dict[str, Any]:
        return self.result.best_strategy.params()

    @property
    def deflated_sharpe(self) -> float:
        return self.result.deflated.dsr

    @property
    def pbo(self) -> float | None:
        return None if self.result.pbo is None else self.result.pbo.pbo

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.result.warnings

    def plot(self):
        """A Figure: the ranking metric over the first swept parameter (median over the others)."""
        import matplotlib.pyplot as plt

        metric = self.result.options.metric
        swept = list(self.result.grid.swept)
        fig, ax = plt.subplots(figsize=(8, 3.5))
        if swept:
            by = self.table.groupby(swept[0], dropna=False)[metric].median()
            ax.plot([str(x) for x in by.index] if by.index.dtype == object else by.index, by.to_numpy(), marker="o", ms=3)
            ax.set_xlabel(swept[0])
        ax.set_ylabel(metric)
        ax.set_title(f"{self.result.spec.id}: {metric} over {len(self.table):,} combinations", fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        plt.close(fig)
        return fig

    def save(self, reports_dir: str | Path = "reports", *, tearsheet: bool = True) -> Path:
        from jpmacro_bt.reports.sweep_page import write_sweep

        return write_sweep(self.result, Path(reports_dir), argv=["python", "jpmacro_bt.sweep", self.result.spec.id], tearsheet=tearsheet)

    def _repr_html_(self) -> str:
        top = self.table.sort_values("rank").head(10)
        return _table_html(top, f"{self.result.spec.id}: {len(self.table):,} combinations, best {self.best}; deflated Sharpe {self.deflated_sharpe:.2f}")


def sweep(strategy: Any, *, metric: str = "sharpe", walk_forward: int = 0, record: bool = True, bootstrap: int = 1000,
          strategies_dir: str | Path | None = None, data: Any = None, **kwargs: Any) -> SweepRun:
    """Run every combination of the grids given as keywords (``hold_days=range(1, 61)``, ``stop=[None, 0.02]``).

    A scalar keyword fixes that parameter; settings are those of :func:`run`.
    The combinations are recorded in the trial ledger unless ``record=False``.
    """
    from jpmacro_bt.research.grid import parse_grid
    from jpmacro_bt.research.sweep import SweepOptions, run_sweep

    settings = _settings(kwargs)
    spec = _spec(strategy, strategies_dir)
    swept = {k: v for k, v in kwargs.items() if not isinstance(v, (str, bytes)) and isinstance(v, Iterable)}
    fixed = {k: _grid_text(v) for k, v in kwargs.items() if k not in swept}
    grid = parse_grid(spec, [f"{k}={_grid_text(v)}" for k, v in swept.items()], fixed)
    options = SweepOptions(metric=metric, walk_forward=walk_forward, record=record, bootstrap=bootstrap)
    return SweepRun(run_sweep(spec, grid, settings, options, data=data))


@dataclass(frozen=True)
class Comparison:
    """Runs on one footing: ``table`` of metrics, ``correlation`` of daily returns, ``save()`` for the page."""

    comparison: Any

    @property
    def table(self) -> pd.DataFrame:
        from jpmacro_bt.engine.metrics import METRICS

        return pd.DataFrame({e.label: {k: e.metrics.get(k) for k in METRICS} for e in self.comparison.entries}).T.astype(float)

    @property
    def correlation(self) -> pd.DataFrame:
        return self.comparison.correlation

    @property
    def note(self) -> str:
        return self.comparison.note

    def save(self, out: str | Path) -> Path:
        """Write the comparison folder (``index.html``, ``metrics.csv``, ``correlation.csv``) atomically; return the page."""
        from jpmacro_bt.reports.compare_page import write_comparison

        return write_comparison(self.comparison, Path(out), title=f"comparison of {len(self.comparison.entries)} runs")

    def _repr_html_(self) -> str:
        return _table_html(self.table, self.note)


def compare(runs: Sequence[Result | str | Path], *, align: bool = True, sort: str = "sharpe") -> Comparison:
    """Compare :class:`Result` objects and run folders on their common period (``align``), best ``sort`` first."""
    from jpmacro_bt.reports.compare import compare as build
    from jpmacro_bt.reports.runfolder import write_run
    from jpmacro_bt.reports.runs import load_run

    with tempfile.TemporaryDirectory(prefix="jpmacro-bt-compare-") as tmp:
        loaded = []
        for i, item in enumerate(runs):
            if isinstance(item, Result):
                # A result compares as the folder it would write (numbers read back exactly as from disk).
                loaded.append(load_run(write_run(item._result, Path(tmp) / str(i), argv=["python"], tearsheet=False)))
            else:
                loaded.append(load_run(Path(item)))
        return Comparison(build(loaded, align=align, sort=sort))
