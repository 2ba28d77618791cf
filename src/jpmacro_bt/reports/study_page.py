"""An event study's folder: ``study.html`` (self-contained), ``study.json`` and ``events.csv``."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from jpmacro_bt.research.eventplots import move_scale
from jpmacro_bt.reports.runfolder import versions
from jpmacro_bt.research.studies import Study

__all__ = ["CSS", "figure_svg", "format_move", "format_p", "render_study", "table_html", "write_study", "write_study_files"]

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:2px}h2{font-size:17px;margin-top:30px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin-top:0}.meta{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border-bottom:1px solid #e5e5e5;padding:4px 9px;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.fig svg{max-width:100%;height:auto}.note{font-size:12px;color:#555}
.box{background:#f6f8fb;border:1px solid #d5deea;border-radius:6px;padding:8px 14px;font-size:13px}
.warn{background:#fff6dd;border:1px solid #e6c96a;border-radius:6px;padding:8px 14px;font-size:13px}
.v{font-weight:600;border-radius:4px;padding:1px 6px;white-space:nowrap}
.v-supported{background:#d9f0d3;color:#1b5e20}.v-contradicted{background:#fbd5d5;color:#8e1b1b}
.v-inconclusive{background:#eee;color:#444}.v-not-tested{background:#fff1c2;color:#6b5300}
"""
_PACKAGES = ("jpmacro-bt", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "currencyconverter")


def figure_svg(fig) -> str:
    """The figure as an inline ``<svg>``: text drawn as paths (no font needed), stable ids, no date."""
    import io

    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context({"svg.hashsalt": "jpmacro-bt", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def format_move(value: Any, kind: str, signed: bool = True) -> str:
    """A move in its display unit: ``+1.23 %`` for a price, ``+4.5 bp`` for a yield; ``-`` when missing."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    scale, unit = move_scale(kind)
    digits = 2 if kind == "price" else 1
    return f"{float(value) * scale:{'+' if signed else ''}.{digits}f} {unit}"


def format_p(value: Any) -> str:
    """A p-value as a number (never stars): three decimals, or ``<0.001``."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def table_html(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], *, raw: Sequence[bool] | None = None) -> str:
    """A table whose cells are escaped, except columns marked ``raw`` (HTML built from escaped parts)."""
    esc = html.escape
    raw = raw or [False] * len(headers)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if num else ""}">{cell if is_raw else esc(cell)}</td>' for cell, num, is_raw in zip(row, numeric, raw)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary_table(study: Study) -> str:
    kind = study.result.settings.kind
    level = f"{study.result.settings.level:.0%}"
    rows = [
        [
            str(r["horizon"]), str(r["n"]), format_move(r["mean"], kind), format_move(r["median"], kind),
            f"{format_move(r['ci_lo'], kind)} .. {format_move(r['ci_hi'], kind)}", format_p(r["t_pvalue"]),
            f"{r['n_up']} / {r['n_down']}", format_p(r["sign_pvalue"]), format_p(r["wilcoxon_pvalue"]),
            f"{format_move(r['placebo_lo'], kind)} .. {format_move(r['placebo_hi'], kind)}", format_p(r["placebo_pvalue"]),
            format_move(r["mde"], kind, signed=False), r["verdict"],
        ]
        for r in study.summary.to_dict("records")
    ]  # fmt: skip
    headers = ["horizon (bars)", "events", "mean", "median", f"{level} interval of the mean", "t-test p", "up / down", "sign test p",
               "Wilcoxon p", f"placebo: central {level}", "placebo p", "min. detectable effect", "reading"]  # fmt: skip
    return table_html(headers, rows, [True] * 12 + [False])


def _events_table(study: Study) -> str:
    ev = study.events
    kind = study.result.settings.kind
    hs = study.result.settings.horizons
    rows = []
    for r in ev.to_dict("records"):
        day0 = "-" if pd.isna(r["day0"]) else pd.Timestamp(r["day0"]).strftime("%Y-%m-%d")
        rows.append(
            [r["label"], pd.Timestamp(r["announced_at"]).strftime("%Y-%m-%d %H:%M UTC"), day0, "yes" if r["used"] else "no", r["reason"] or "",
             r["contaminated_by"] or "", *(format_move(r[f"move_{h}"], kind) for h in hs)]
        )  # fmt: skip
    headers = ["event", "announced", "day 0", "used", "why not", "window also holds", *(f"move {h} bar{'s' if h != 1 else ''}" for h in hs)]
    return table_html(headers, rows, [False] * 6 + [True] * len(hs))


def _notes(study: Study) -> list[str]:
    s = study.result.settings
    scale_word = "simple returns compounded over the bars (a fraction, shown in %)" if s.kind == "price" else "changes in basis points, summed, never compounded"
    notes = [
        ("Timing: day 0 is the first bar of the asset whose close is at or after the announcement, both compared in UTC (the package's one "
        "timing rule); day -1 is the bar before, whose close was public before the announcement. Window days count the asset's bars."),
        f"Moves run from the close of day -1: {scale_word}. Horizon h ends at the close of day h - 1, so horizon 1 is day 0's own move.",
        (f"Abnormal moves: each move less what the mean daily move over bars outside every event window gives over as many bars "
         f"(mean daily move {format_move(s.expected_daily, s.kind)})." if s.expected == "mean" else "Raw moves: nothing subtracted."),
        (f"Tests across events at each horizon: one-sample t-test, sign test (binomial, zeros dropped), Wilcoxon signed-rank test; placebo test: "
        f"the mean move of as many random non-event days, drawn {s.n_placebo:,} times from the {s.placebo_days:,} days whose window holds no studied "
        "event; p is the share of placebo means at least as far from the placebo centre as the events' mean (two-sided)."),
        (f"Bands: {s.n_boot:,} bootstrap resamples of the events; pointwise percentile bands and simultaneous (sup-t) bands that hold for the whole "
        f"window at once, both at {s.level:.0%}."),
        (f"Minimum detectable effect: the smallest true mean a two-sided t-test of size {1 - s.level:.2f} would find with probability {s.power:.0%} "
        "given the events' dispersion. A mean inside plus or minus that effect with an interval inside it too is evidence of no effect that large; "
        "a wide interval is no evidence either way."),
        "Contamination: an event whose window (first to last day) holds another event's day 0 is flagged with it"
        + (" and left out of the statistics." if s.exclude_contaminated else "; flagged events are kept (--exclude-contaminated drops them)."),
    ]  # fmt: skip
    if study.selection.coverage:
        notes.append("Calendar: " + study.selection.coverage)
    for sym, fp in study.fingerprint.items():
        notes.append(f"Data: {sym} from {fp['source']} ({fp['upstream_id']}), bars {fp['start']} .. {fp['end']}, close {fp['close']}, sha256 {fp['sha256'][:12]}.")
    return notes


def render_study(study: Study, *, preface: str = "") -> str:
    """The study page: self-contained HTML (inline SVG charts, no remote resource), every value escaped.

    ``preface`` is HTML put above the title, already escaped by its maker (the claims page's claim and verdict).
    """
    esc = html.escape
    s = study.result.settings
    ev = study.events
    used = int(ev["used"].sum())
    chart = figure_svg(study.plot())
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(f'event study: {study.title}')}</title><style>{CSS}</style></head><body>",
        preface,
        f"<h1>{esc(f'Event study: {study.title}')}</h1>",
        f"<p class='sub'>{esc(study.selection.description)}</p>",
        "<p class='meta'>" + esc(
            f"{used} of {len(ev)} events used; bars {s.first_bar} .. {s.last_bar} ({s.n_bars:,}); window {s.window[0]}..{s.window[1]} bars; "
            f"{'abnormal' if s.expected == 'mean' else 'raw'} moves in {'%' if s.kind == 'price' else 'bp'}; study {study.id}"
        ) + "</p>",
        f"<h2>Tests by horizon</h2>{_summary_table(study)}",
        f"<h2>Paths around the events</h2><div class='fig'>{chart}</div>",
        f"<h2>Events</h2>{_events_table(study)}",
        "<h2>Notes</h2>" + "".join(f"<p class='note'>{esc(n)}</p>" for n in _notes(study)),
        "<p class='note'>Files: study.json (everything on this page, strict JSON), events.csv (the events table).</p>",
        "</body></html>",
    ]
    return "\n".join(parts)



def write_study_files(study: Study, folder: Path, *, argv: Sequence[str] | None = None, preface: str = "") -> None:
    """Write ``study.html`` (with ``preface``, see :func:`render_study`), ``study.json`` and ``events.csv`` into the existing ``folder``."""
    from jpmacro_bt.files import write_text

    data = study.to_dict() | {"versions": versions(_PACKAGES), "command": list(argv) if argv else None}
    write_text(folder / "study.json", json.dumps(data, indent=2, allow_nan=False))
    events = study.events.copy()
    events["announced_at"] = events["announced_at"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    events["day0_close"] = events["day0_close"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    write_text(folder / "events.csv", events.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d"))
    write_text(folder / "study.html", render_study(study, preface=preface))


def write_study(study: Study, reports_dir: Path, *, argv: Sequence[str] | None = None) -> Path:
    """Write ``reports_dir/study-<id>/`` atomically and return it."""
    from jpmacro_bt.files import atomic_folder

    final = reports_dir / f"study-{study.id}"
    target = atomic_folder(final, what="study folder", unique=True)
    with target as tmp:
        write_study_files(study, tmp, argv=argv)
    return target.final
