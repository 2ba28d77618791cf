"""Several runs side by side: the numbers behind the comparison page.

:func:`compare` reads run folders (see :mod:`jpmacro_bt.reports.runs`) and puts them
on one footing; :mod:`jpmacro_bt.reports.compare_page` writes ``index.html``,
``metrics.csv`` and ``correlation.csv`` into a new folder atomically
(``write_comparison``), or into a folder being built (``render_into``, a suite).

The footing
    By default every run is cut to the **common period**, the dates all runs
    cover (the latest first date .. the earliest last date), and every number,
    curve, heatmap and correlation uses only returns dated in that period; the
    page says so. With ``align=False`` each run keeps its own period. Runs that
    share no period are shown over their own periods, and the page says that.

The metrics
    A run shown over its whole period shows the numbers its ``metrics.json``
    recorded. A run cut to a shorter period is measured again with
    :func:`jpmacro_bt.engine.metrics.compute_metrics` (quantstats) on the cut returns:
    ``trades`` then counts positions opened in the period (one still open at
    its end counts as open for ``win_rate``) and ``exposure`` is rebuilt from
    ``trades.csv`` (a position is held from its entry bar's close up to its
    exit bar). Numbers stay numbers until display: ``metrics.csv`` and the
    ``data-v`` attributes of the HTML table hold them unformatted.

Correlation
    Pearson correlation of daily returns over the dates both runs have. Runs on
    different calendars (a crypto run trades at weekends) are compounded onto
    their shared dates first, so a Monday return covers the same span in both.

Why SVG from matplotlib, not Plotly
    Plotly would make the charts interactive, but a self-contained Plotly page
    inlines plotly.js, about 4.5 MB, into every page. matplotlib is already
    installed (quantstats draws with it), renders to SVG that is drawn
    identically in any browser and printed sharp, and the whole page stays a
    few hundred kB. The log-scale option is a second, pre-rendered SVG of the
    equity chart; about 40 lines of inline JavaScript (``assets/compare.js``)
    sort the metrics table and switch between the two. Without JavaScript the
    page still shows everything, linear scale and in the chosen sort order.
    The monthly heatmaps and the correlation matrix are HTML tables with
    coloured cells: the numbers stay readable and selectable. Nothing on the
    page loads from the network.

Every text that reaches the page (strategy ids, parameters, paths, error
messages) is HTML-escaped; matplotlib escapes chart text itself and a ``$``
in a label is escaped so it never starts mathtext.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jpmacro_bt.errors import ReportError
from jpmacro_bt.engine.metrics import METRICS, REGISTRY
from jpmacro_bt.engine.metrics import label as metric_label
from jpmacro_bt.reports.runs import Run, Skipped

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "METRIC_LABELS",
    "SORT_KEYS",
    "Comparison",
    "Entry",
    "Problem",
    "compare",
    "correlation",
    "exposure_from_trades",
    "monthly_returns",
]

# Every headline metric, labelled by the registry; "created" sorts newest first.
METRIC_LABELS = {key: metric_label(key) for key in METRICS}
SORT_KEYS = (*METRICS, "created")

# matplotlib's tab10, so a run has the same colour in the charts and in the tables.
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_DASHES = ("-", "--", ":", "-.")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Problem:
    """Something the page lists instead of comparing: a folder that is not a readable run, or a strategy that failed."""

    name: str
    message: str
    detail: str | None = None  # a traceback, for a bug


@dataclass(frozen=True)
class Entry:
    """One run as compared: its returns over the compared period and the metrics of those returns."""

    run: Run
    label: str
    color: str
    dash: str
    returns: pd.Series
    metrics: dict[str, float | None]
    cut: bool  # measured again over a shorter period than the run's own

    @property
    def start(self) -> str:
        return f"{self.returns.index[0]:%Y-%m-%d}"

    @property
    def end(self) -> str:
        return f"{self.returns.index[-1]:%Y-%m-%d}"


@dataclass(frozen=True)
class Comparison:
    """Runs on one footing (see the module docstring), ready to render."""

    entries: list[Entry]
    aligned: bool
    period: tuple[str, str] | None  # the common period, when aligned
    note: str
    sort: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def correlation(self) -> pd.DataFrame:
        return correlation({e.label: e.returns for e in self.entries})


# Display formatting is the report module's, so terminal, pages and sweeps agree.


# ---------------------------------------------------------------- numbers


def exposure_from_trades(trades: pd.DataFrame, index: pd.DatetimeIndex) -> pd.Series:
    """True on the bars of ``index`` that end in a position of ``trades``.

    A position is held from the close of its entry bar up to (not including)
    its exit bar, whose close ends it; an open position is held to the end.
    """
    import numpy as np
    import pandas as pd

    held = np.zeros(len(index), dtype=bool)
    for entry, exit_, status in zip(trades["entry_date"], trades["exit_date"], trades["status"]):
        mask = index >= pd.Timestamp(entry)
        if status == "closed":
            mask &= index < pd.Timestamp(exit_)
        held |= mask
    return pd.Series(held, index=index, name="exposure")


def _trades_in(trades: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Positions opened in ``start .. end``; one closed after ``end`` was still open at the end."""
    inside = trades[(trades["entry_date"] >= start) & (trades["entry_date"] <= end)].copy()
    inside.loc[inside["exit_date"] > end, "status"] = "open"
    return inside


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded returns by calendar month: one row per year, columns 1..12 and ``year``."""
    import pandas as pd

    growth = 1.0 + returns
    months = growth.groupby([returns.index.year, returns.index.month]).prod() - 1.0
    table = months.unstack().reindex(columns=range(1, 13))
    table["year"] = growth.groupby(returns.index.year).prod() - 1.0
    table.index = pd.Index(table.index, name="year")
    return table


def _on_shared_dates(a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both return series over the dates they share, compounding what falls between them."""
    if a.index.equals(b.index):
        return a, b
    shared = a.index.intersection(b.index)
    out = []
    for s in (a, b):
        equity = (1.0 + s).cumprod().reindex(shared)
        out.append((equity / equity.shift(1) - 1.0).iloc[1:])
    return out[0], out[1]


def correlation(returns: dict[str, pd.Series]) -> pd.DataFrame:
    """Pairwise correlation of daily returns (see the module docstring); NaN where a run is flat or the overlap too short."""
    import numpy as np
    import pandas as pd

    labels = list(returns)
    table = pd.DataFrame(np.nan, index=labels, columns=labels)
    for i, a in enumerate(labels):
        for b in labels[i:]:
            x, y = _on_shared_dates(returns[a], returns[b])
            x, y = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            if len(x) < 3 or x.std() == 0 or y.std() == 0:
                continue
            value = float(np.corrcoef(x, y)[0, 1])
            table.loc[a, b] = table.loc[b, a] = value
    return table


def _labels(runs: list[Run]) -> list[str]:
    """The strategy id; for runs of one strategy, the parameters that differ; then the run's time and hash."""
    labels = []
    for run in runs:
        same = [r for r in runs if r.strategy == run.strategy]
        label = run.strategy
        if len(same) > 1:
            keys = sorted({k for r in same for k in r.params})
            differ = [k for k in keys if len({json.dumps(r.params.get(k), sort_keys=True, default=str) for r in same}) > 1]
            if differ:
                label += " (" + ", ".join(f"{k}={run.params.get(k)}" for k in differ) + ")"
        labels.append(label)
    dup = {label for label in labels if labels.count(label) > 1}
    for i, run in enumerate(runs):
        if labels[i] in dup:
            tail = run.run_id[len(run.strategy) + 1 :] if run.run_id.startswith(run.strategy + "-") else run.run_id
            labels[i] = f"{labels[i]} {tail}"
    # Two folders of the same run (copies) keep distinct labels.
    return [f"{label} [{i + 1}]" if labels.count(label) > 1 else label for i, label in enumerate(labels)]


def _sorted(entries: list[Entry], key: str) -> list[Entry]:
    if key == "created":
        return sorted(entries, key=lambda e: (e.run.created_at, e.run.run_id), reverse=True)
    sign = -1.0 if REGISTRY[key].higher_is_better else 1.0
    missing = [e for e in entries if e.metrics.get(key) is None]
    present = sorted((e for e in entries if e.metrics.get(key) is not None), key=lambda e: sign * e.metrics[key])
    return present + missing


def compare(runs: list[Run], *, align: bool = True, sort: str = "sharpe", skipped: list[Skipped] = (), problems: list[Problem] = ()) -> Comparison:
    """Put ``runs`` on one footing (see the module docstring), best ``sort`` first.

    A run whose CSV files cannot be read joins ``problems`` instead; ``skipped``
    folders are listed there too.
    """
    from jpmacro_bt.engine.metrics import compute_metrics

    if sort not in SORT_KEYS:
        raise ReportError(f"--sort {sort!r} is not a metric; use one of {', '.join(SORT_KEYS)}")
    problems = [*problems, *(Problem(str(s.path), s.reason) for s in skipped)]
    loaded = []
    for run in runs:
        try:
            loaded.append((run, run.returns()["strategy"], run.trades()))
        except ReportError as exc:
            problems.append(Problem(str(run.path), str(exc)))
    period = None
    spans = "; ".join(f"{run.strategy}: {r.index[0]:%Y-%m-%d} .. {r.index[-1]:%Y-%m-%d}" for run, r, _ in loaded)
    if not loaded:
        note = "No run could be read."
    elif not align:
        note = "Each run is shown over its own period (--no-align): the numbers of runs with different periods are not comparable."
    else:
        start = max(r.index[0] for _, r, _ in loaded)
        end = min(r.index[-1] for _, r, _ in loaded)
        if all(len(r.loc[start:end]) >= 2 for _, r, _ in loaded):
            period = (f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}")
            same = all(r.index[0] == start and r.index[-1] == end for _, r, _ in loaded)
            first = next(run.strategy for run, r, _ in loaded if r.index[0] == start)
            last = next(run.strategy for run, r, _ in loaded if r.index[-1] == end)
            note = (
                f"All runs cover the same period, {period[0]} .. {period[1]}."
                if same
                else f"Compared on their common period, {period[0]} .. {period[1]} (its start is set by {first}, its end by {last}): "
                "every number, curve, heatmap and correlation uses only returns dated in it, and runs cut to it are measured again. "
                "Each run's own period is in its card below; --no-align keeps each run's own period."
            )
        else:
            note = f"These runs share no period of two or more bars ({spans}), so each is shown over its own period."
    labels = _labels([run for run, _, _ in loaded])
    entries = []
    for (run, returns, trades), label in zip(loaded, labels):
        cut = returns.loc[period[0] : period[1]] if period else returns
        if len(cut) == len(returns):
            metrics = dict(run.metrics)
        else:
            start, end = f"{cut.index[0]:%Y-%m-%d}", f"{cut.index[-1]:%Y-%m-%d}"
            metrics = compute_metrics(cut, trades=_trades_in(trades, start, end), exposure=exposure_from_trades(trades, cut.index))
        entries.append(Entry(run, label, "", "", cut.rename(label), metrics, len(cut) != len(returns)))
    # Colours follow the table's order, so the legend reads like the table.
    entries = [
        dataclasses.replace(e, color=COLORS[i % len(COLORS)], dash=_DASHES[(i // len(COLORS)) % len(_DASHES)])
        for i, e in enumerate(_sorted(entries, sort))
    ]
    return Comparison(entries, align and period is not None, period, note, sort, problems)


def command_line() -> str:
    """The command being run, as a user would type it."""
    import shlex

    return shlex.join(["jpmacro-bt", *sys.argv[1:]])
