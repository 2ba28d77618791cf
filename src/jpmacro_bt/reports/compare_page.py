"""The comparison page: charts as inline SVG, the metrics, heatmap and correlation tables, and the folder they go in.

See :mod:`jpmacro_bt.reports.compare` for the footing the runs are put on and
why the charts are SVG from matplotlib. Every text that reaches the page is
HTML-escaped.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import math
import os
import re
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jpmacro_bt.engine.metrics import REGISTRY, format_metric
from jpmacro_bt.reports.compare import METRIC_LABELS, MONTHS, Comparison, Entry, Problem, monthly_returns

__all__ = ["log_ticks", "metrics_csv", "render_html", "render_into", "write_comparison"]


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
