"""The claims scorecard folder: ``index.html`` (self-contained), ``scorecard.csv``, ``scorecard.json`` and one detail per claim.

A claim tested by an event study gets the study's folder (``<claim-id>/study.html``,
``study.json``, ``events.csv``); any other tested claim a page with its chart and
numbers (``<claim-id>/detail.html``) and the series behind the chart
(``<claim-id>/data.csv``). Untested claims have no detail: their row says why.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from jpmacro_bt.reports.study_page import (
    CSS,
    figure_svg,
    format_p,
    table_html,
    write_study_files,
)
from jpmacro_bt.research.claims import (
    ARTICLES,
    RULES,
    VERDICTS,
    ClaimResult,
    Scorecard,
    format_value,
)

__all__ = ["detail_link", "render_claims", "render_detail", "write_claims"]


def detail_link(result: ClaimResult) -> str | None:
    """Where a claim's detail lives inside the scorecard folder, relative to ``index.html``; None when untested."""
    if result.finding is None:
        return None
    return f"{result.spec.id}/study.html" if result.finding.study is not None else f"{result.spec.id}/detail.html"


def _badge(verdict: str) -> str:
    return f"<span class='v v-{verdict.replace(' ', '-')}'>{html.escape(verdict)}</span>"


def _interval(result: ClaimResult) -> str:
    f, unit = result.finding, result.spec.unit
    if f is None:
        return "-"
    return f"{format_value(f.estimate, unit)} [{format_value(f.ci[0], unit)} .. {format_value(f.ci[1], unit)}]"


def _claim_rows(card: Scorecard) -> str:
    esc = html.escape
    rows = []
    for r in card.results:
        f, s = r.finding, r.spec
        link = detail_link(r)
        head = f"<a href='{esc(link)}'>{esc(s.id)}</a>" if link else esc(s.id)
        if f is None:
            measured = "<i>not tested</i>"
        else:
            claimed = f"claimed {'positive' if s.direction == '+' else 'negative'}; matters from {format_value(s.threshold, s.unit, signed=False)}"
            measured = f"<b>{esc(_interval(r))}</b><br><span class='note'>{esc(f.statistic)}; {esc(claimed)}</span>"
        period = f"{esc(f.period[0])}<br>{esc(f.period[1])}" if f and f.period[0] else "-"
        n = f"{f.n:,} {f.n_what}" if f else "-"
        why = esc(r.why) + "".join(f"<br><span class='note'>{esc(x)}</span>" for x in r.notes)
        cells = [
            f"<td><b>{head}</b> <span class='note'>{esc(s.article)} · {esc(s.test)}</span><br>{esc(s.claim)}</td>", f"<td>{measured}</td>",
            f"<td class='num'>{esc(format_p(f.p_value if f else None))}</td>", f"<td class='num'>{esc(format_p(r.p_adjusted))}</td>",
            f"<td class='num' style='white-space:normal'>{esc(n)}</td>", f"<td class='num'>{period}</td>", f"<td>{_badge(r.verdict)}<br>{why}</td>",
        ]  # fmt: skip
        rows.append(f"<tr id='claim-{esc(s.id)}' data-verdict='{esc(r.verdict)}'>" + "".join(cells) + "</tr>")
    headers = ["claim", "estimate [95 % interval] and statistic", "p", "p adjusted (BH)", "N", "period", "verdict and why"]
    widths = ["24%", "28%", "6%", "7%", "7%", "8%", "20%"]
    head = "".join(f"<th style='width:{w}'>{html.escape(h)}</th>" for h, w in zip(headers, widths))
    return f"<table id='scorecard' class='wide'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_claims(card: Scorecard) -> str:
    """The scorecard page: self-contained HTML (inline SVG, no remote resource), every value escaped."""
    esc = html.escape
    counts = Counter(r.verdict for r in card.results)
    tested = [r for r in card.results if r.finding is not None]
    ends = sorted(fp["end"] for fp in card.fingerprint.values())
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        (f"<title>claims scorecard {esc(card.id)}</title><style>{CSS}table.wide{{width:100%;table-layout:fixed}}"
        "table.wide td{overflow-wrap:anywhere}</style></head><body>"),
        "<h1>Claims scorecard</h1>",
        (f"<p class='sub'>{len(card.results)} claims from three articles, each tested the way its kind of claim can be; "
        f"{len(tested)} tested, p-values adjusted across all {len(tested)} (Benjamini-Hochberg).</p>"),
        "<p class='meta'>" + esc(
            " · ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
            + (f"; latest bar in the data {ends[-1]}" if ends else "") + f"; scorecard {card.id}, {card.created_at:%Y-%m-%d %H:%M} UTC"
        ) + "</p>",
        "<div class='box'><b>Verdict rules</b>, applied in this order (the significance level is 1 - the claim's confidence level, 0.05 here):<ol>"
        + "".join(f"<li>{_badge(v)} {esc(text)}</li>" for v, text in RULES) + "</ol></div>",
        _claim_rows(card),
    ]
    if tested:
        parts.append(f"<h2>The claims on one scale</h2><div class='fig' id='forest'>{figure_svg(card.plot())}</div>")
    missing = card.missing
    if missing:
        parts.append("<h2>Data to fetch</h2><div class='warn'>" + esc(
            f"Some claims could not be tested on the data loaded: fetch {', '.join(missing)} with `jpmacro-bt data fetch {' '.join(missing)}` "
            "(or pass --data-dir DIR holding SYMBOL.csv files) and run `jpmacro-bt claims` again."
        ) + "</div>")
    parts.append("<h2>Articles</h2><ul>" + "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in ARTICLES.items()) + "</ul>")
    notes = [
        ("Each claim is a TOML file shipped with the package (jpmacro_bt/claims/): the claim in one line, its article, the test, the data, the "
        "horizon, the claimed direction, the smallest effect that would matter economically and why, and the confidence level."),
        ("Estimates come with their two-sided interval at the claim's level; p is two-sided; 'p adjusted' controls the false discovery rate "
        "across every tested claim (Benjamini-Hochberg), and the verdicts use it."),
        ("No test uses a value before it was public: event and signal studies count from the first close at or after the announcement "
        "(the package's timing rule); regressions pair each series with the last close of the other before it; TIC figures count from "
        "their publication."),
        "Files: scorecard.csv and scorecard.json (every number on this page, unrounded), and one folder per tested claim.",
    ]
    parts.append("<h2>Notes</h2>" + "".join(f"<p class='note'>{esc(n)}</p>" for n in notes))
    parts.append("</body></html>")
    return "\n".join(parts)


def render_detail(result: ClaimResult) -> str:
    """The detail page of a claim tested without an event study: its numbers, notes and chart."""
    esc = html.escape
    f, s = result.finding, result.spec
    chart = figure_svg(f.plot()) if f.draw is not None else ""
    rows = [
        ["statistic", f.statistic], ["estimate", format_value(f.estimate, s.unit)],
        [f"{s.level:.0%} interval", f"{format_value(f.ci[0], s.unit)} .. {format_value(f.ci[1], s.unit)}"],
        ["p (two-sided)", f"{format_p(f.p_value)} ({f.p_method})"], ["p adjusted (Benjamini-Hochberg)", format_p(result.p_adjusted)],
        ["N", f"{f.n:,} {f.n_what}"], ["period", f"{f.period[0]} .. {f.period[1]}"],
        ["first half / second half", f"{format_value(f.halves[0], s.unit)} / {format_value(f.halves[1], s.unit)}"],
        ["minimum detectable effect", format_value(f.mde, s.unit, signed=False)],
        ["claimed direction", "positive" if s.direction == "+" else "negative"],
        ["smallest effect that matters", f"{format_value(s.threshold, s.unit, signed=False)}: {s.why_threshold}"],
        ["verdict", f"{result.verdict}: {result.why}"],
    ]  # fmt: skip
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(s.id)}</title><style>{CSS}</style></head><body>",
        "<p class='meta'><a href='../index.html'>back to the scorecard</a></p>",
        f"<h1>{esc(s.id)} ({esc(s.article)})</h1><p class='sub'>{esc(s.claim)}</p>",
        f"<p>{_badge(result.verdict)}</p>",
        table_html(["", ""], rows, [False, False]),
        f"<div class='fig'>{chart}</div>" if chart else "",
        "<h2>Notes</h2>" + "".join(f"<p class='note'>{esc(n)}</p>" for n in (*f.notes, *result.notes)),
        f"<p class='note'>Test: {esc(s.test)}; parameters: {esc(json.dumps(s.params))}. data.csv holds the series behind the chart.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _preface(result: ClaimResult) -> str:
    esc = html.escape
    s = result.spec
    return (
        "<p class='meta'><a href='../index.html'>back to the scorecard</a></p>"
        f"<div class='box'><b>{esc(s.id)}</b> ({esc(s.article)}): {esc(s.claim)}<br>{_badge(result.verdict)} {esc(result.why)}"
        f"<br><span class='note'>Judged at horizon {s.horizon}: {esc(result.finding.statistic)}.</span></div>"
    )


def write_claims(card: Scorecard, reports_dir: Path, *, argv: Sequence[str] | None = None) -> Path:
    """Write ``reports_dir/claims-<id>/`` atomically and return it."""
    from jpmacro_bt.files import atomic_folder, write_text

    final = reports_dir / f"claims-{card.id}"
    target = atomic_folder(final, what="claims folder", unique=True)
    with target as tmp:
        for r in card.results:
            if r.finding is None:
                continue
            folder = tmp / r.spec.id
            folder.mkdir()
            if r.finding.study is not None:
                write_study_files(r.finding.study, folder, argv=argv, preface=_preface(r))
                continue
            if r.finding.table is not None:
                write_text(folder / "data.csv", r.finding.table.to_csv(lineterminator="\n", date_format="%Y-%m-%d"))
            write_text(folder / "detail.html", render_detail(r))
        write_text(tmp / "scorecard.csv", card.table.to_csv(index=False, lineterminator="\n"))
        write_text(tmp / "scorecard.json", json.dumps(card.to_dict() | {"command": list(argv) if argv else None}, indent=2, allow_nan=False))
        write_text(tmp / "index.html", render_claims(card))
    return target.final
