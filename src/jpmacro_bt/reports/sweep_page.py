"""A sweep's folder: metrics of every combination, summary, manifest and the self-contained ``sweep.html``."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.engine.metrics import METRICS, format_metric
from jpmacro_bt.engine.metrics import label as metric_label
from jpmacro_bt.research.grid import show
from jpmacro_bt.research.sweep import SweepResult

__all__ = ["render", "summary", "write_sweep"]


# --- writing -----------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def summary(result: SweepResult) -> dict[str, Any]:
    """The sweep's findings as plain data (``summary.json``)."""
    row = result.table.iloc[result.best]
    index = result.best_returns.index
    d = result.deflated
    out: dict[str, Any] = {
        "sweep_id": result.id,
        "strategy": result.spec.id,
        "claim": result.spec.claim,
        "period": {"start": f"{index[0]:%Y-%m-%d}", "end": f"{index[-1]:%Y-%m-%d}", "bars": len(index), "periods_per_year": result.periods},
        "grid": {k: [_finite(v) for v in vs] for k, vs in result.grid.describe().items()},
        "fixed": {k: _finite(v) for k, v in result.grid.fixed.items()},
        "combinations": len(result.table),
        "metric": result.options.metric,
        "best": {
            "params": {k: _finite(row[k]) for k in result.params},
            "metrics": {k: _finite(row[k]) for k in METRICS},
        },
        "trials": {"ledger": result.trials, "this_sweep": result.trials_in_sweep, "recorded": result.options.record},
        "deflated_sharpe": {
            "dsr": _finite(d.dsr), "sharpe_per_bar": _finite(d.sharpe), "threshold_per_bar": _finite(d.threshold),
            "threshold_annual": _finite(d.threshold * math.sqrt(result.periods)), "n_trials": d.n_trials, "n_obs": d.n_obs,
            "skew": _finite(d.skew), "kurtosis": _finite(d.kurtosis), "sharpe_variance_per_bar": _finite(d.variance),
        },
        "pbo": None if result.pbo is None else {
            "pbo": result.pbo.pbo, "prob_oos_loss": result.pbo.prob_oos_loss, "splits": result.pbo.n_splits,
            "blocks": result.options.pbo_blocks, "median_logit": _finite(float(np.median(result.pbo.logits))),
        },
        "pbo_note": result.pbo_note,
        "bootstrap": None if result.bootstrap is None else {
            "sharpe": [_finite(x) for x in result.bootstrap.sharpe], "cagr": [_finite(x) for x in result.bootstrap.cagr],
            "level": result.bootstrap.level, "samples": result.bootstrap.samples, "undefined": result.bootstrap.undefined,
            "block": result.bootstrap.block, "seed": result.options.seed,
        },
        "warnings": list(result.warnings),
        "execution": {"executor": result.options.executor, "chunks": result.chunks, "chunk_size": result.chunk_size,
                      "max_memory": result.budget, "seconds": round(result.seconds, 3)},
    }
    if result.walk_forward is not None:
        out["walk_forward"] = result.walk_forward.describe()
    return out


def write_sweep(result: SweepResult, reports_dir: Path, *, argv: Sequence[str] | None = None, tearsheet: bool = True) -> Path:
    """Write ``reports_dir/sweep-<id>/`` atomically and return it.

    Files: ``metrics.parquet`` and ``metrics.csv`` (every combination),
    ``summary.json``, ``manifest.json``, ``sweep.html`` (self-contained) and,
    with a walk-forward, ``walkforward.csv``, ``oos_returns.csv`` and
    ``oos_tearsheet.html``.
    """
    import sys

    from jpmacro_bt.files import atomic_folder, json_text, write_text
    from jpmacro_bt.reports.runfolder import versions

    def renamed(tmp: Path, name: str) -> None:
        # An identical sweep finished first: this one is <id>-2, and its manifest says so.
        manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
        write_text(tmp / "manifest.json", json_text({**manifest, "sweep_id": name.removeprefix("sweep-")}))

    target = atomic_folder(reports_dir / f"sweep-{result.id}", what="sweep folder", unique=True, renamed=renamed)
    with target as tmp:
        table = result.table
        table.to_parquet(tmp / "metrics.parquet", index=False)
        write_text(tmp / "metrics.csv", table.to_csv(index=False, lineterminator="\n"))
        write_text(tmp / "summary.json", json_text(summary(result), default=str))
        fees, slippage, borrow = result.costs
        manifest = {
            "sweep_id": result.id,
            "created_at": result.created_at.isoformat(timespec="seconds"),
            "strategy": {"id": result.spec.id, "file": None if result.spec.path is None else str(result.spec.path), "claim": result.spec.claim},
            "grid": {k: [_finite(v) for v in vs] for k, vs in result.grid.describe().items()},
            "fixed": {k: _finite(v) for k, v in result.grid.fixed.items()},
            "settings": {
                "start": str(result.settings.start) if result.settings.start else None, "end": str(result.settings.end) if result.settings.end else None,
                "init_cash": result.settings.init_cash, "size": result.settings.size, "fees": fees, "slippage": slippage, "borrow": borrow,
                "source": result.settings.source, "data_dir": str(result.settings.data_dir) if result.settings.data_dir else None,
            },
            "options": {k: v for k, v in vars(result.options).items()},
            "data": result.fingerprint,
            "versions": versions(),
            "command": list(argv or sys.argv),
        }
        write_text(tmp / "manifest.json", json_text(manifest, default=str))
        wf = result.walk_forward
        if wf is not None:
            write_text(tmp / "walkforward.csv", wf.folds_table().to_csv(index=False, lineterminator="\n"))
            frame = pd.DataFrame({"strategy": wf.returns, "benchmark": wf.benchmark})
            frame.index = pd.DatetimeIndex(frame.index).rename("date")
            write_text(tmp / "oos_returns.csv", frame.to_csv(lineterminator="\n", date_format="%Y-%m-%d"))
            if tearsheet:
                from jpmacro_bt.reports.tearsheet import write_tearsheet

                write_tearsheet(
                    tmp / "oos_tearsheet.html", frame["strategy"], frame["benchmark"],
                    title=f"{result.spec.id}: walk-forward out of sample ({len(wf.folds)} {wf.mode} folds, chosen by {wf.metric})",
                    strategy_title=f"{result.spec.id} (out of sample)", benchmark_title=result.best_strategy.benchmark_name,
                    parameters={"folds": len(wf.folds), "mode": wf.mode, "metric": wf.metric, "combinations": len(result.table),
                                **{f"fold {f.number}": ", ".join(f"{k}={show(v)}" for k, v in f.chosen.items() if k in result.grid.swept) for f in wf.folds}},
                )
        write_text(tmp / "sweep.html", render(result, oos_tearsheet=wf is not None and tearsheet))
    return target.final


# --- the page ----------------------------------------------------------------------------


def _svg(fig) -> str:
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.add_subplot()


def _heat_axes(result: SweepResult) -> tuple[str, ...]:
    if result.options.heatmap:
        return result.options.heatmap
    names = sorted(result.grid.names, key=lambda n: -len(result.grid.swept[n]))  # stable: grid order among equals
    return tuple(n for n in names if len(result.grid.swept[n]) > 1)[:2]


def _ticks(ax, axis: str, labels: list[str]) -> None:
    step = max(1, math.ceil(len(labels) / 25))
    pos = list(range(0, len(labels), step))
    getattr(ax, f"set_{axis}ticks")(pos)
    getattr(ax, f"set_{axis}ticklabels")([labels[i] for i in pos], rotation=90 if axis == "x" and max(map(len, labels)) > 4 else 0)


def _heatmap_svg(result: SweepResult) -> tuple[str, str] | None:
    from matplotlib.colors import TwoSlopeNorm

    metric = result.options.metric
    axes = _heat_axes(result)
    table = result.table
    best = table.iloc[result.best]
    if len(axes) == 0:
        return None
    if len(axes) == 1:
        x = axes[0]
        values = list(result.grid.swept[x])
        others = [n for n in result.grid.names if n != x]
        key = table[x].map(show)
        agg = table[metric].groupby(key, sort=False).median() if others else table.set_index(key)[metric]
        ys = [agg.get(show(v), np.nan) for v in values]
        fig, ax = _figure(11, 4.2)
        ax.plot(range(len(values)), ys, marker="o", ms=3, lw=1.2, color="#1f5f99")
        b = values.index(best[x]) if best[x] in values else None
        if b is not None:
            ax.plot([b], [ys[b]], marker="o", ms=9, mfc="none", mec="#d62728", mew=2, label=f"best: {x}={show(best[x])}")
            ax.legend(loc="best", frameon=False)
        ax.axhline(0, color="#888", lw=0.8)
        _ticks(ax, "x", [show(v) for v in values])
        ax.set_xlabel(x)
        ax.set_ylabel(metric_label(metric))
        ax.grid(alpha=0.3)
        title = f"{metric_label(metric)} by {x}" + (f" (median over {', '.join(others)})" if others else "")
        ax.set_title(title)
        return title, _svg(fig)
    x, y = axes
    xs, ys = list(result.grid.swept[x]), list(result.grid.swept[y])
    others = [n for n in result.grid.names if n not in axes]
    grid = table.assign(_x=table[x].map(show), _y=table[y].map(show)).groupby(["_y", "_x"], sort=False)[metric].median()
    z = np.array([[grid.get((show(vy), show(vx)), np.nan) for vx in xs] for vy in ys])
    fig, ax = _figure(min(14, max(6.5, 0.42 * len(xs) + 3)), min(11, max(3.8, 0.34 * len(ys) + 2)))
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (-1.0, 1.0)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=min(lo, -1e-9), vmax=max(hi, 1e-9)) if lo < 0 < hi else None
    im = ax.imshow(np.ma.masked_invalid(z), aspect="auto", origin="lower", cmap="RdYlGn", norm=norm, interpolation="nearest")
    cbar = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    cbar.set_label(metric_label(metric))
    if z.size <= 300:
        size = 8 if z.size <= 120 else 6.5
        for i in range(len(ys)):
            for j in range(len(xs)):
                if math.isfinite(z[i, j]):
                    r, g, b, _ = im.cmap(im.norm(z[i, j]))
                    ink = "#fff" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#111"  # readable on dark cells
                    ax.text(j, i, format_metric(metric, z[i, j]), ha="center", va="center", fontsize=size, color=ink)
    bi, bj = (ys.index(best[y]) if best[y] in ys else None), (xs.index(best[x]) if best[x] in xs else None)
    if bi is not None and bj is not None:
        from matplotlib.patches import Rectangle

        ax.add_patch(Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, ec="#1f3fbf", lw=2.2))
    _ticks(ax, "x", [show(v) for v in xs])
    _ticks(ax, "y", [show(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    title = f"{metric_label(metric)} by {y} and {x}" + (f" (median over {', '.join(others)})" if others else "") + "; blue box: best combination"
    ax.set_title(title, fontsize=10)
    return title, _svg(fig)


def _distribution_svg(result: SweepResult) -> str | None:
    metric = result.options.metric
    values = result.table[metric].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return None
    fig, ax = _figure(11, 3.8)
    ax.hist(finite, bins=min(60, max(10, int(math.sqrt(len(finite))) * 2)), color="#7a9cc6", edgecolor="white")
    best = values[result.best]
    ax.axvline(best, color="#d62728", lw=2, label=f"best: {format_metric(metric, best)}")
    if result.default_row is not None and math.isfinite(values[result.default_row]):
        ax.axvline(values[result.default_row], color="#333", lw=1.5, ls="--", label=f"default parameters: {format_metric(metric, values[result.default_row])}")
    if metric == "sharpe" and result.deflated.n_trials > 1 and math.isfinite(result.deflated.threshold):
        sr0 = result.deflated.threshold * math.sqrt(result.periods)
        ax.axvline(sr0, color="#9467bd", lw=1.5, ls=":", label=f"best of {result.deflated.n_trials:,} trials by luck alone: {sr0:.2f}")
    ax.set_xlabel(metric_label(metric))
    ax.set_ylabel("combinations")
    undefined = len(values) - len(finite)
    ax.set_title(f"{metric_label(metric)} across {len(values):,} combinations" + (f" ({undefined:,} without a value: no position held)" if undefined else ""), fontsize=10)
    ax.legend(loc="best", frameon=False, fontsize=9)
    ax.grid(alpha=0.3)
    return _svg(fig)


def _walkforward_svg(result: SweepResult) -> str | None:
    wf = result.walk_forward
    if wf is None:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), dpi=100)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    n = np.arange(len(wf.folds))
    ax1.bar(n - 0.2, [f.is_value for f in wf.folds], width=0.4, label="in sample", color="#7a9cc6")
    ax1.bar(n + 0.2, [f.oos_value for f in wf.folds], width=0.4, label="out of sample", color="#e08a3c")
    ax1.axhline(0, color="#888", lw=0.8)
    ax1.set_xticks(n)
    ax1.set_xticklabels([str(f.number) for f in wf.folds])
    ax1.set_xlabel("fold")
    ax1.set_ylabel(metric_label(wf.metric))
    ax1.set_title(f"{metric_label(wf.metric)} of the chosen parameters", fontsize=10)
    ax1.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2)
    eq = (1 + wf.returns.fillna(0)).cumprod()
    bench = (1 + wf.benchmark.fillna(0)).cumprod()
    dates = pd.DatetimeIndex(eq.index)
    ax2.plot(dates, eq.to_numpy(), color="#1f5f99", lw=1.3, label="walk-forward (out of sample)")
    ax2.plot(dates, bench.to_numpy(), color="#999", lw=1.0, label=f"benchmark: {result.best_strategy.benchmark_name}")
    for f in wf.folds[1:]:
        ax2.axvline(f.split.oos_start, color="#ccc", lw=0.8, ls="--")
    ax2.set_title("stitched out-of-sample growth of 1 (dashes: fold starts)", fontsize=10)
    ax2.legend(frameon=False, fontsize=9, loc="best")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def _table_html(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    import html

    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if num else ""}">{esc(cell)}</td>' for cell, num in zip(row, numeric)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:2px}h2{font-size:17px;margin-top:30px;border-bottom:1px solid #ddd;padding-bottom:4px}
.claim{color:#555;margin-top:0}.meta{color:#555;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:200px;flex:1}
.card .k{font-size:12px;color:#666}.card .v{font-size:20px;font-weight:600}.card .s{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border-bottom:1px solid #e5e5e5;padding:4px 9px;text-align:left}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{background:#fff6dd;border:1px solid #e6c96a;border-radius:6px;padding:8px 14px}.warn li{margin:3px 0}
.fig svg{max-width:100%;height:auto}.note{font-size:12px;color:#555}
"""


def _header(result: SweepResult) -> list[str]:
    esc = html.escape
    index = result.best_returns.index
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(f'sweep {result.spec.id}')}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(f'Sweep: {result.spec.id}')}</h1><p class='claim'>{esc(result.spec.claim)}</p>",
        "<p class='meta'>" + esc(
            f"{index[0]:%Y-%m-%d} .. {index[-1]:%Y-%m-%d}, {len(index):,} bars; {len(result.table):,} combinations of "
            + ("; ".join(f"{k} ({len(v)} values: {show(v[0])} .. {show(v[-1])})" for k, v in result.grid.swept.items()) or "the defaults")
            + (f"; fixed: {', '.join(f'{k}={show(v)}' for k, v in result.grid.fixed.items())}" if result.grid.fixed else "")
            + f"; ranked by {metric_label(result.options.metric)}; sweep {result.id}"
        ) + "</p>",
    ]
    if result.warnings:
        parts.append("<div class='warn'><b>Warnings</b><ul>" + "".join(f"<li>{esc(w)}</li>" for w in result.warnings) + "</ul></div>")
    return parts


def _cards(result: SweepResult) -> str:
    esc = html.escape
    metric, table, d = result.options.metric, result.table, result.deflated
    row = table.iloc[result.best]
    label = ", ".join(f"{k}={show(row[k])}" for k in result.grid.names) or "the only combination"
    cards = [
        ("best combination", label, f"{metric_label(metric)} {format_metric(metric, row[metric])}; rank 1 of {len(table):,}"),
        ("Sharpe of the best", format_metric("sharpe", row["sharpe"]), f"trials on this strategy: {result.trials:,} (this sweep: {result.trials_in_sweep:,})"),
        ("deflated Sharpe ratio", f"{d.dsr:.2f}" if math.isfinite(d.dsr) else "-",
         f"P(true Sharpe > 0) after {d.n_trials:,} trials; luck alone reaches {format_metric('sharpe', d.threshold * math.sqrt(result.periods))}"),
        ("probability of backtest overfitting", "-" if result.pbo is None else f"{result.pbo.pbo:.0%}",
         result.pbo_note or (f"CSCV, {result.options.pbo_blocks} blocks, {result.pbo.n_splits:,} splits" if result.pbo else "")),
    ]
    if result.bootstrap is not None:
        b = result.bootstrap
        cards.append((f"{b.level:.0%} bootstrap intervals", f"Sharpe {format_metric('sharpe', b.sharpe[0])} .. {format_metric('sharpe', b.sharpe[1])}",
                      f"CAGR {format_metric('cagr', b.cagr[0])} .. {format_metric('cagr', b.cagr[1])}; {b.samples:,} resamples of {b.block}-bar blocks"))
    cards.append(("trades of the best", format_metric("trades", row["trades"]), f"win rate {format_metric('win_rate', row['win_rate'])}, exposure {format_metric('exposure', row['exposure'])}"))
    return "<div class='cards'>" + "".join(
        f"<div class='card'><div class='k'>{esc(k)}</div><div class='v'>{esc(v)}</div><div class='s'>{esc(s)}</div></div>" for k, v, s in cards
    ) + "</div>"


def _top(result: SweepResult) -> list[str]:
    metric, swept = result.options.metric, list(result.grid.names)
    top = result.table.sort_values("rank").head(result.options.top)
    shown = ["rank", *swept, *METRICS]
    return [f"<h2>Top {len(top)} by {html.escape(metric_label(metric))}</h2>", _table_html(
        [metric_label(c) for c in shown],
        [[str(int(r["rank"])), *(show(r[k]) for k in swept), *(format_metric(k, r[k]) for k in METRICS)] for _, r in top.iterrows()],
        [True, *([False] * len(swept)), *([True] * len(METRICS))],
    )]


def _walk_forward(result: SweepResult, wf_svg: str | None, oos_tearsheet: bool) -> list[str]:
    esc = html.escape
    wf, swept = result.walk_forward, list(result.grid.names)
    parts = [f"<h2>Walk-forward ({len(wf.folds)} {esc(wf.mode)} folds, chosen in sample by {esc(metric_label(wf.metric))})</h2>"]
    parts.append("<p>" + esc(
        f"Over the {len(wf.paired)} of {len(wf.folds)} folds with a {metric_label(wf.metric)} both in and out of sample, the chosen parameters averaged "
        f"{format_metric(wf.metric, wf.is_mean)} in sample and {format_metric(wf.metric, wf.oos_mean)} out of sample"
        + (f" (efficiency {wf.efficiency:.2f})" if math.isfinite(wf.efficiency) else "")
        + f"; {wf.worse} of them did worse out of sample. Stitched out of sample: Sharpe {format_metric('sharpe', wf.oos_metrics['sharpe'])}, "
        f"CAGR {format_metric('cagr', wf.oos_metrics['cagr'])}, max drawdown {format_metric('max_drawdown', wf.oos_metrics['max_drawdown'])}, "
        f"{int(wf.oos_metrics['trades'])} trades."
    ) + (" <a href='oos_tearsheet.html'>Out-of-sample tearsheet</a>." if oos_tearsheet else "") + "</p>")
    if wf_svg:
        parts.append(f"<div class='fig'>{wf_svg}</div>")
    parts.append(_table_html(
        ["fold", "in sample", "out of sample", "chosen", f"{metric_label(wf.metric)} in", f"{metric_label(wf.metric)} out", "trades out"],
        [[str(f.number), f"{f.split.is_start:%Y-%m-%d} .. {f.split.is_end:%Y-%m-%d}", f"{f.split.oos_start:%Y-%m-%d} .. {f.split.oos_end:%Y-%m-%d}",
          ", ".join(f"{k}={show(f.chosen[k])}" for k in swept) + (" (default: nothing traded in sample)" if f.fallback else ""),
          format_metric(wf.metric, f.is_value), format_metric(wf.metric, f.oos_value), str(f.oos_trades)] for f in wf.folds],
        [True, False, False, False, True, True, True],
    ))
    return parts


def _notes(result: SweepResult) -> str:
    d = result.deflated
    notes = [
        f"Deflated Sharpe ratio (Bailey and López de Prado 2014): the probability that the best combination's true Sharpe ratio is above zero, "
        f"given that it was picked among {d.n_trials:,} distinct trials on this strategy in the trial ledger (variance of their Sharpe ratios "
        f"{d.variance * result.periods:.3f} annualised), over {d.n_obs:,} bars with skew {d.skew:.2f} and kurtosis {d.kurtosis:.2f}.",
        "Probability of backtest overfitting (Bailey, Borwein, López de Prado and Zhu 2015): the bars are cut into equal blocks; for every way of "
        "taking half of them as in-sample, the in-sample best combination is ranked out of sample; PBO is how often it lands at or below the median.",
        "Metrics are those of a single run (quantstats' definitions, rf = 0, annualised with "
        f"{result.periods} bars a year); a combination that never held a position has no Sharpe ratio.",
        f"Files: metrics.csv and metrics.parquet (every combination), summary.json, manifest.json. Ran in {result.seconds:,.1f} s "
        f"in {result.chunks} chunk(s) of up to {result.chunk_size:,} combinations ({result.options.executor} executor).",
    ]
    return "<h2>Notes</h2>" + "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes)


def render(result: SweepResult, *, oos_tearsheet: bool = False) -> str:
    """The sweep page: self-contained HTML (inline SVG charts, no remote resource), every value escaped."""
    from matplotlib import rc_context

    esc = html.escape
    metric = result.options.metric
    with rc_context({"svg.hashsalt": "jpmacro-bt", "svg.fonttype": "path", "font.size": 10}):
        heat = _heatmap_svg(result)
        dist = _distribution_svg(result)
        wf_svg = _walkforward_svg(result)
    parts = [*_header(result), _cards(result)]
    if heat is not None:
        parts.append(f"<h2>{esc(metric_label(metric))} over the grid</h2><div class='fig'>{heat[1]}</div>")
    if dist is not None:
        parts.append(f"<h2>Distribution of {esc(metric_label(metric))}</h2><div class='fig'>{dist}</div>")
    parts.extend(_top(result))
    if result.walk_forward is not None:
        parts.extend(_walk_forward(result, wf_svg, oos_tearsheet))
    parts.append(_notes(result))
    parts.append("</body></html>")
    return "\n".join(parts)
