"""Several runs side by side: one self-contained HTML page, ``metrics.csv`` and the numbers behind both.

:func:`compare` reads run folders (see :mod:`jpmacro_bt.reports.runs`) and puts them
on one footing; :func:`write_comparison` writes ``index.html``,
``metrics.csv`` and ``correlation.csv`` into a new folder atomically, and
:func:`render_into` does the same into a folder being built (a suite).

The footing
    By default every run is cut to the **common period**, the dates all runs
    cover (the latest first date .. the earliest last date), and every number,
    curve, heatmap and correlation uses only returns dated in that period; the
    page says so. With ``align=False`` each run keeps its own period. Runs that
    share no period are shown over their own periods, and the page says that.

The metrics
    A run shown over its whole period shows the numbers its ``metrics.json``
    recorded. A run cut to a shorter period is measured again with
    :func:`jpmacro_bt.reports.tearsheet.compute_metrics` (quantstats) on the cut returns:
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

import csv
import dataclasses
import hashlib
import html
import io
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from jpmacro_bt.errors import ReportError
from jpmacro_bt.engine.metrics import METRICS, REGISTRY, format_metric
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
    "render_into",
    "write_comparison",
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
            note = (
                f"All runs cover the same period, {period[0]} .. {period[1]}."
                if same
                else f"Compared on their common period, {period[0]} .. {period[1]}: every number, curve, heatmap and correlation "
                "uses only returns dated in it, and runs cut to it are measured again. Each run's own period is in its card below; "
                "--no-align keeps each run's own period."
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


# ---------------------------------------------------------------- charts


_SVG_HEAD = re.compile(r"^.*?(?=<svg)", re.S)
_SVG_META = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_SVG_SIZE = re.compile(r'(<svg[^>]*?)\swidth="[^"]*"\sheight="[^"]*"')


def _svg(fig, label: str) -> str:
    """The figure as an inline ``<svg>`` that scales to its container, without prolog or metadata."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = _SVG_META.sub("", _SVG_HEAD.sub("", buf.getvalue(), count=1), count=1)
    return _SVG_SIZE.sub(rf'\1 role="img" aria-label="{html.escape(label)}"', text, count=1).strip()


def _mpl_text(text: str, limit: int = 70) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def _charts(entries: list[Entry]) -> dict[str, str]:
    """Equity curves (linear and log scale) and drawdowns as inline SVG."""
    import matplotlib
    import numpy as np
    from matplotlib import dates as mdates
    from matplotlib import ticker
    from matplotlib.figure import Figure

    rc = {
        "svg.fonttype": "none",  # text stays text: smaller files, the browser's own font
        "svg.hashsalt": "jpmacro-bt",  # element ids are stable from one build to the next
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#dddddd",
        "grid.linewidth": 0.6,
    }
    width, left, right = 12.0, 0.075, 0.99
    out: dict[str, str] = {}
    with matplotlib.rc_context(rc):
        # About 150 characters of 9 pt text fit across the figure.
        ncol = max(1, min(4, len(entries), 150 // (max(len(_mpl_text(e.label)) for e in entries) + 6)))
        rows = math.ceil(len(entries) / ncol)
        legend_h = 0.22 * rows
        for scale in ("linear", "log"):
            fig = Figure(figsize=(width, 4.2 + legend_h))
            fig.subplots_adjust(left=left, right=right, bottom=0.08, top=1 - (legend_h + 0.15) / (4.2 + legend_h))
            ax = fig.add_subplot()
            for e in entries:
                equity = (1.0 + e.returns).cumprod()
                ax.plot(e.returns.index.to_numpy(), equity.to_numpy(), color=e.color, linestyle=e.dash, linewidth=1.2, label=_mpl_text(e.label))
            ax.axhline(1.0, color="#888888", linewidth=0.8)
            ax.set_ylabel("growth of 1" + (" (log scale)" if scale == "log" else ""))
            if scale == "log":
                ax.set_yscale("log")
                ax.yaxis.set_major_locator(ticker.FixedLocator(log_ticks(*ax.get_ylim())))
                ax.yaxis.set_minor_locator(ticker.NullLocator())
                ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            _date_axis(ax, mdates)
            ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=ncol, frameon=False, fontsize=9, borderaxespad=0.2)
            out[scale] = _svg(fig, f"equity curves, {scale} scale")
        fig = Figure(figsize=(width, 2.6))
        fig.subplots_adjust(left=left, right=right, bottom=0.12, top=0.95)
        ax = fig.add_subplot()
        for e in entries:
            equity = (1.0 + e.returns).cumprod().to_numpy()
            drawdown = equity / np.maximum(np.maximum.accumulate(equity), 1.0) - 1.0
            ax.plot(e.returns.index.to_numpy(), drawdown, color=e.color, linestyle=e.dash, linewidth=1.0)
        ax.set_ylabel("drawdown")
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
        _date_axis(ax, mdates)
        out["drawdown"] = _svg(fig, "drawdowns")
    return out


def log_ticks(lo: float, hi: float, count: int = 8) -> list[float]:
    """Round numbers for a log axis from ``lo`` to ``hi``: about ``count``, evenly spread in log space, 1 among them when in range.

    matplotlib's own log ticks are powers of ten, too few on the ranges equity curves span.
    """
    from matplotlib import ticker

    lo, hi = max(lo, 1e-9), max(hi, lo * 1.0001)
    if hi / lo < 3:  # log and linear spacing hardly differ: round linear steps
        return [float(t) for t in ticker.MaxNLocator(count, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi) if lo <= t <= hi]
    steps = (1, 2, 5) if hi / lo > 20 else (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
    low, high = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    candidates = sorted({round(m * 10.0**k, 12) for k in range(low, high + 1) for m in steps})
    candidates = [c for c in candidates if lo <= c <= hi]
    if not candidates:
        return []
    gap = (math.log(hi) - math.log(lo)) / count
    anchor = min(candidates, key=lambda c: abs(math.log(c)))  # 1, or what is nearest to it
    ticks = [anchor]
    for direction in (candidates[candidates.index(anchor) + 1 :], reversed(candidates[: candidates.index(anchor)])):
        last = anchor
        for c in direction:
            if abs(math.log(c) - math.log(last)) >= gap:
                ticks.append(c)
                last = c
    return sorted(ticks)


def _date_axis(ax, mdates) -> None:
    locator = mdates.AutoDateLocator(maxticks=14)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    ax.margins(x=0.01)


# ---------------------------------------------------------------- HTML


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _href(target: Path, base: Path) -> str:
    """A relative link from the page in ``base`` to ``target``, so the pages open from disk and move together."""
    return _e(quote(Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()))


def _asset(name: str) -> str:
    return resources.files("jpmacro_bt.reports").joinpath("assets", name).read_text(encoding="utf-8")


def _fmt_param(value: Any) -> str:
    return json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt_param(v)}" for k, v in params.items()) or "no parameters"


def _cell_color(value: float, scale: float, pos: str, neg: str) -> str:
    alpha = min(1.0, abs(value) / scale) * 0.75 if scale > 0 else 0.0
    return f"background:rgba({pos if value >= 0 else neg},{alpha:.2f})"


def _metrics_table(c: Comparison, base: Path) -> str:
    head = ['<th data-sort="text" scope="col">run</th>', '<th data-sort="text" scope="col">period</th>']
    for key, name in METRIC_LABELS.items():
        marker = ' aria-sort="ascending"' if key == c.sort and not REGISTRY[key].higher_is_better else (' aria-sort="descending"' if key == c.sort else "")
        head.append(f'<th data-sort="num" scope="col" data-key="{key}"{marker}>{_e(name)}</th>')
    head.append('<th scope="col">report</th>')
    rows = []
    for e in c.entries:
        run = e.run
        tearsheet = f'<a href="{_href(run.tearsheet, base)}">tearsheet</a>' if run.tearsheet else '<span class="muted">no tearsheet</span>'
        cells = [
            f'<th scope="row" data-v="{_e(e.label)}"><span class="swatch" style="background:{e.color}"></span>'
            f'<a href="#run-{_e(_anchor(e))}">{_e(e.label)}</a><div class="sub params" title="{_e(_params_text(run.params))}">{_e(_params_text(run.params))}</div></th>',
            f'<td data-v="{_e(e.start)}" class="nowrap period">{_e(e.start)} .. {_e(e.end)}<div class="sub">{len(e.returns)} bars{" (cut)" if e.cut else ""}</div></td>',
        ]
        for key in METRIC_LABELS:
            value = e.metrics.get(key)
            data = "" if value is None else repr(float(value))
            cells.append(f'<td class="num" data-v="{data}">{_e(format_metric(key, value))}</td>')
        cells.append(f"<td>{tearsheet}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="scroll"><table class="metrics sortable" id="metrics"><thead><tr>'
        + "".join(head)
        + "</tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table></div>"
    )


def _anchor(e: Entry) -> str:
    # Readable, safe in an id, and distinct per folder.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", e.run.strategy)[:40] + "-" + hashlib.sha256(str(e.run.path).encode()).hexdigest()[:8]


def _correlation_table(c: Comparison) -> str:
    corr = c.correlation
    labels = list(corr.index)
    head = "".join(
        f'<th scope="col" title="{_e(e.label)}"><span class="swatch" style="background:{e.color}"></span>{i + 1}</th>' for i, e in enumerate(c.entries)
    )
    rows = []
    for i, a in enumerate(labels):
        cells = []
        for b in labels:
            value = corr.loc[a, b]
            if math.isnan(value):
                cells.append('<td class="num muted" title="undefined: a flat run or too short an overlap">-</td>')
            else:
                cells.append(f'<td class="num" style="{_cell_color(value, 1.0, "33,102,172", "178,24,43")}" data-v="{value!r}">{value:.2f}</td>')
        swatch = f'<span class="swatch" style="background:{c.entries[i].color}"></span>'
        rows.append(f'<tr><th scope="row">{swatch}{i + 1}. {_e(a)}</th>' + "".join(cells) + "</tr>")
    return f'<table class="heat corr" id="correlation"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _monthly_table(e: Entry, scale: float) -> str:
    table = monthly_returns(e.returns)
    head = "".join(f'<th scope="col">{m}</th>' for m in MONTHS) + '<th scope="col">year</th>'
    rows = []
    for year, row in table.iterrows():
        cells = []
        for col in [*range(1, 13), "year"]:
            value = row[col]
            klass = "num year" if col == "year" else "num"
            if math.isnan(value):
                cells.append(f'<td class="{klass}"></td>')
            elif value == 0:
                cells.append(f'<td class="{klass} muted" data-v="0.0">0.0</td>')
            else:
                style = _cell_color(value, scale, "26,150,65", "215,48,39")
                cells.append(f'<td class="{klass}" style="{style}" data-v="{value!r}">{value * 100:+.1f}</td>')
        rows.append(f'<tr><th scope="row">{year}</th>{"".join(cells)}</tr>')
    return f'<table class="heat monthly"><thead><tr><th scope="col">%</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _kv(pairs: list[tuple[str, Any]]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in pairs) + "</dl>"


def _fingerprint(manifest: dict[str, Any]) -> str:
    data = manifest.get("data")
    if not isinstance(data, dict) or not data:
        return '<p class="muted">no data fingerprint in the manifest</p>'
    cols = ("source", "upstream_id", "start", "end", "rows", "close", "sha256")
    rows = []
    for symbol, info in data.items():
        info = info if isinstance(info, dict) else {}
        cells = []
        for col in cols:
            value = str(info.get(col, ""))
            if col == "sha256" and value:
                cells.append(f'<td class="mono" title="{_e(value)}">{_e(value[:16])}…</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append(f'<tr><th scope="row">{_e(symbol)}</th>{"".join(cells)}</tr>')
    head = "".join(f'<th scope="col">{_e(c.replace("_", " "))}</th>' for c in ("symbol", *cols))
    return f'<table class="plain"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _run_card(e: Entry, base: Path, scale: float) -> str:
    run, m = e.run, e.run.manifest
    settings = m.get("settings") if isinstance(m.get("settings"), dict) else {}
    strategy = m.get("strategy") if isinstance(m.get("strategy"), dict) else {}
    costs = {k: strategy.get(k, settings.get(k)) for k in ("fees", "slippage")}
    links = [f'<a href="{_href(run.path / name, base)}">{name}</a>' for name in ("tearsheet.html", "manifest.json", "metrics.json", "returns.csv", "trades.csv") if (run.path / name).is_file()]
    versions = m.get("versions") if isinstance(m.get("versions"), dict) else {}
    facts = [
        ("run id", run.run_id),
        ("created", run.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("folder", os.path.relpath(run.path.resolve(), base.resolve()) + " (from this page)"),
        ("own period", f"{run.start} .. {run.end}, {run.bars} bars"),
        ("compared", f"{e.start} .. {e.end}, {len(e.returns)} bars" + (", measured again" if e.cut else "")),
        ("benchmark", run.benchmark or "-"),
        ("parameters", _params_text(run.params)),
        ("costs per side", ", ".join(f"{k}={v}" for k, v in costs.items())),
        ("size, init_cash", f"{settings.get('size')}, {settings.get('init_cash')}"),
        ("data options", f"source={settings.get('source')}, data_dir={settings.get('data_dir')}, offline={settings.get('offline')}"),
        ("strategy file", f"{strategy.get('file', '-')} (sha256 {str(strategy.get('file_sha256', '-'))[:16]})"),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items()) or "-"),
        ("git commit", m.get("git_commit") or "-"),
        ("command", run.command or "-"),
    ]
    warnings = m.get("warnings") if isinstance(m.get("warnings"), list) else []
    warn = "".join(f'<li>{_e(w)}</li>' for w in warnings)
    return f"""<section class="card" id="run-{_e(_anchor(e))}">
<h3><span class="swatch" style="background:{e.color}"></span>{_e(e.label)}</h3>
<p class="claim">{_e(run.claim)}</p>
<p class="links">{" · ".join(links)}</p>
<h4>Monthly returns, % (compounded; the year column is the calendar year's return)</h4>
{_monthly_table(e, scale)}
<details><summary>parameters, data fingerprint and manifest</summary>
{_kv(facts)}
<h4>Data fingerprint</h4>
{_fingerprint(m)}
{f'<h4>Warnings when it ran</h4><ul class="warn">{warn}</ul>' if warn else ""}
</details>
</section>"""


def _problems(problems: list[Problem]) -> str:
    if not problems:
        return ""
    items = []
    for p in problems:
        # The first line says what went wrong; the rest (per-symbol reasons, a bug's traceback) folds away.
        first, _, rest = p.message.partition("\n")
        more = "\n\n".join(part for part in (rest.strip("\n"), p.detail) if part)
        peek = rest.strip().splitlines()[0] if rest.strip() else "traceback"
        peek = peek if len(peek) <= 90 else peek[:89] + "…"
        detail = f"<details><summary>{_e(peek)}</summary><pre>{_e(more)}</pre></details>" if more else ""
        items.append(f'<li><span class="mono">{_e(p.name)}</span>: <span class="err">{_e(first)}</span>{detail}</li>')
    return (
        f'<section class="problems" id="problems"><h2>Not compared ({len(problems)})</h2>'
        f'<ul>{"".join(items)}</ul></section>'
    )


def _monthly_scale(entries: list[Entry]) -> float:
    """One colour scale for every heatmap: the 95th percentile of absolute monthly returns, so one crash does not wash out the rest."""
    import numpy as np

    values = [abs(v) for e in entries for v in monthly_returns(e.returns).drop(columns="year").to_numpy().ravel() if not math.isnan(v)]
    return float(np.percentile(values, 95)) if values and max(values) > 0 else 1.0


def render_html(c: Comparison, base: Path, *, title: str, subtitle: str = "", command: str = "") -> str:
    """The page, with links relative to the folder ``base`` it is written to."""
    from jpmacro_bt import __version__

    body = [f'<header><h1>{_e(title)}</h1>', f'<p class="sub">{_e(subtitle)}</p>' if subtitle else "", f'<p class="note" id="period-note">{_e(c.note)}</p></header>']
    body.append(_problems(c.problems))
    if c.entries:
        charts = _charts(c.entries)
        scale = _monthly_scale(c.entries)
        span = "the common period" if c.aligned else "each run's own period"
        sort_name = "newest first" if c.sort == "created" else f"best {METRIC_LABELS[c.sort]} first"
        body.append(
            f'<section id="table"><h2>Metrics</h2><p class="hint">quantstats metrics of each run\'s daily returns over {span}, '
            f"{_e(sort_name)}; click a column to sort. The same numbers, unformatted, are in "
            f'<a href="metrics.csv">metrics.csv</a>.</p>{_metrics_table(c, base)}</section>'
        )
        body.append(
            '<section id="charts"><h2>Equity and drawdown</h2>'
            f'<p class="hint">Growth of 1 invested at the start of {span}, and the drawdown from its running peak. '
            '<label class="toggle"><input type="checkbox" id="log-scale"> log scale</label></p>'
            f'<div class="chart" id="equity-linear">{charts["linear"]}</div>'
            f'<div class="chart" id="equity-log" hidden>{charts["log"]}</div>'
            f'<div class="chart" id="drawdown">{charts["drawdown"]}</div></section>'
        )
        body.append(
            '<section id="corr"><h2>Correlation of daily returns</h2><p class="hint">Pearson, over the dates both runs have '
            '(compounded onto shared dates when calendars differ); - where a run is flat. Also in '
            f'<a href="correlation.csv">correlation.csv</a>.</p>{_correlation_table(c)}</section>'
        )
        body.append('<section id="runs"><h2>Runs</h2>' + "\n".join(_run_card(e, base, scale) for e in c.entries) + "</section>")
    footer = f"jpmacro-bt {__version__}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC" + (f" · {command}" if command else "")
    body.append(f"<footer>{_e(footer)}</footer>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # The page loads nothing: no favicon request either.
        '<link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{_asset('compare.css')}</style></head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{_asset('compare.js')}</script>\n</body></html>\n"
    )


def _csv_number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def metrics_csv(c: Comparison, base: Path) -> str:
    """One row per run: identity, period compared, and every metric as an unformatted number."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["label", "run_id", "strategy", "params", "start", "end", "bars", "cut", *METRIC_LABELS, "folder"])
    for e in c.entries:
        writer.writerow(
            [
                e.label,
                e.run.run_id,
                e.run.strategy,
                json.dumps(e.run.params, sort_keys=True, default=str),
                e.start,
                e.end,
                len(e.returns),
                str(e.cut).lower(),
                *(_csv_number(e.metrics.get(k)) for k in METRIC_LABELS),
                os.path.relpath(e.run.path.resolve(), base.resolve()),
            ]
        )
    return buf.getvalue()


def render_into(folder: Path, c: Comparison, *, title: str, subtitle: str = "", command: str = "") -> Path:
    """Write ``index.html``, ``metrics.csv`` and ``correlation.csv`` into ``folder``; return the page."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.csv").write_text(metrics_csv(c, folder), encoding="utf-8", newline="")
    (folder / "correlation.csv").write_text(c.correlation.rename_axis("label").to_csv(lineterminator="\n"), encoding="utf-8", newline="")
    page = folder / "index.html"
    page.write_text(render_html(c, folder, title=title, subtitle=subtitle, command=command), encoding="utf-8")
    return page


def write_comparison(c: Comparison, out: Path, *, title: str, subtitle: str = "", command: str = "") -> Path:
    """Write the comparison folder ``out`` atomically (a hidden sibling renamed into place); return its page."""
    from jpmacro_bt.files import atomic_folder

    with atomic_folder(out, what="comparison folder", fix="pass another --out, or wait a second and run again") as tmp:
        render_into(tmp, c, title=title, subtitle=subtitle, command=command)
    return out / "index.html"


def command_line() -> str:
    """The command being run, as a user would type it."""
    import shlex

    return shlex.join(["jpmacro-bt", *sys.argv[1:]])
