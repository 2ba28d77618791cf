"""What was traded when: the traded price with entries, exits and the calendar events a strategy used.

The same figure serves the tearsheet's trades section (as inline SVG, with the
trade table under it) and ``Result.plot()`` in a notebook.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["Marker", "event_markers", "trades_axes", "trades_html", "trades_svg"]

# Decisions drawn on the price: a change of policy, not the holds between them.
_EVENT_COLORS = {"hike": "#d62728", "cut": "#2ca02c", "yen_buying": "#9467bd", "yen_selling": "#8c564b"}
_OTHER_COLOR = "#7f7f7f"
_STYLES = ("-", "--", ":", "-.")
# Holds and small operational steps would bury the changes a strategy trades on.
_NOT_DRAWN = frozenset({"hold", "unknown", "other", "other_policy_change"})
_MAX_TABLE_ROWS = 500


@dataclass(frozen=True)
class Marker:
    """One calendar event on the chart: its tradable date, its calendar and its decision."""

    date: pd.Timestamp
    calendar: str
    decision: str


def event_markers(calendars: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> list[Marker]:
    """Policy changes, framework changes, interventions and elections of ``calendars`` dated in ``start .. end``; holds and minor steps are left out."""
    from jpmacro_bt.events import load_events

    if not calendars:
        return []
    out = []
    for cal in load_events().used(tuple(calendars)):
        for e in cal.events:
            day = pd.Timestamp(e.date)
            if start <= day <= end and e.decision not in _NOT_DRAWN:
                out.append(Marker(day, cal.name, e.decision))
    return out


def _color(decision: str) -> str:
    return _EVENT_COLORS.get(decision, _OTHER_COLOR)


def trades_axes(ax, prices: pd.DataFrame, trades: pd.DataFrame, markers: Sequence[Marker]) -> None:
    """Draw ``prices`` on ``ax`` with each trade's entry (triangle) and exit (cross) and the event markers."""
    for name in prices.columns:
        ax.plot(prices.index, prices[name], lw=0.9, label=str(name))
    # Colour says the decision, line style the calendar: a BoJ hike and an FOMC hike stay apart.
    styles = {name: _STYLES[i % len(_STYLES)] for i, name in enumerate(dict.fromkeys(m.calendar for m in markers))}
    for m in markers:
        ax.axvline(m.date, color=_color(m.decision), ls=styles[m.calendar], lw=0.9, alpha=0.6, zorder=0)
    for calendar, decision in sorted({(m.calendar, m.decision) for m in markers}):
        ax.plot([], [], color=_color(decision), ls=styles[calendar], lw=0.9, label=f"{calendar} {decision.replace('_', ' ')}")
    if len(trades):
        _mark_trades(ax, prices, trades)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best", ncol=2)


def _mark_trades(ax, prices: pd.DataFrame, trades: pd.DataFrame) -> None:
    first = prices.columns[0]
    for side, date_col, marker in (("entry", "entry_date", "^"), ("exit", "exit_date", "x")):
        rows = trades[trades[date_col].astype(str) != ""]
        for direction, color in (("long", "#1f77b4"), ("short", "#d62728")):
            chosen = rows[rows["direction"] == direction]
            if chosen.empty:
                continue
            dates = pd.DatetimeIndex(chosen[date_col])
            symbols = chosen["symbol"] if "symbol" in chosen else [first] * len(chosen)
            ys = [prices[_column(prices, s, first)].asof(d) for s, d in zip(symbols, dates)]
            ax.scatter(dates, ys, marker=marker if side == "exit" else ("^" if direction == "long" else "v"),
                       s=28, color=color, zorder=3, label=f"{direction} {side}")


def _column(prices: pd.DataFrame, symbol: object, default: object) -> object:
    """The price column of ``symbol``: its own name, or its name with a note such as "(carry-inclusive)"."""
    for col in prices.columns:
        if col == symbol or str(col).startswith(f"{symbol} ("):
            return col
    return default


def trades_svg(prices: pd.DataFrame, trades: pd.DataFrame, markers: Sequence[Marker], *, title: str) -> str:
    """The chart as an inline SVG element."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    # Text stays text (selectable, searchable), and the SVG is the same bytes for the same run.
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "jpmacro-bt"}):
        fig, ax = plt.subplots(figsize=(9.5, 3.6), dpi=100)
        try:
            trades_axes(ax, prices, trades, markers)
            ax.set_title(title, fontsize=10)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    text = re.sub(r"^.*?(?=<svg)", "", buf.getvalue(), flags=re.S)
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def _cell(key: str, value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN: an open trade has no exit
            return ""
        return f"{value:.2%}" if key == "return" else f"{value:,.4f}" if key.endswith("price") else f"{value:,.2f}"
    return str(value)


def trades_html(prices: pd.DataFrame | None, trades: pd.DataFrame, markers: Sequence[Marker], *, title: str) -> str:
    """The tearsheet's trades section: the chart and the trade table, every value escaped."""
    esc = html.escape
    # clear: quantstats floats its two columns, which would otherwise cover this section's heading.
    parts = ['<div id="jpmacro-trades" style="clear:both;max-width:960px;margin:2em auto;font-family:Arial,sans-serif">',
             f"<h3>Trades and events: {esc(title)}</h3>"]
    if prices is not None and len(prices):
        parts.append(f'<div class="jpmacro-trades-chart">{trades_svg(prices, trades, markers, title=title)}</div>')
    if trades.empty:
        parts.append("<p>No trade in this period: the strategy stayed flat.</p>")
    else:
        shown = trades.head(_MAX_TABLE_ROWS)
        cols = [c for c in shown.columns]
        head = "".join(f"<th>{esc(str(c))}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(_cell(c, v))}</td>" for c, v in zip(cols, row)) + "</tr>" for row in shown.itertuples(index=False)
        )
        more = f"<p>First {_MAX_TABLE_ROWS} of {len(trades):,} trades; all are in trades.csv.</p>" if len(trades) > _MAX_TABLE_ROWS else ""
        parts.append(f'<table class="jpmacro-trades-table" style="font-size:12px;border-collapse:collapse"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}')
    parts.append("</div>")
    return "\n".join(parts)
