"""Tearsheets: quantstats' HTML report, made safe and readable.

quantstats is handed clean inputs only: tz-naive daily returns and a
benchmark *Series* on the same index (never a ticker it would download), with
``match_dates=False`` so the report covers exactly the backtest period. Its
HTML is post-processed to drop the one remote resource it links (a favicon),
so a tearsheet opens offline without a single request, and to replace a
glyph most fonts lack.

Known quantstats 0.0.86 chart bugs, worked around for the duration of our
own call only (:func:`_quantstats_fixes`):

* with more than ten years the "EOY Returns" chart puts its year labels at
  positions 0..n while pandas 3 draws the bars at period ordinals, so labels
  pile up on the left (ranaroussi/quantstats#518);
* percent axes round or truncate to whole percent, so a tick at 2.5 % reads
  "2%" and one at -10 % reads "-9%": labels are printed to 0.1 %.

And three for speed, which change no figure of the report: before each chart
quantstats compares the benchmark's dates with the returns' as two Python sets
of Timestamps (about 0.3 s a tearsheet), where dates that are equal are told
so at once; it compounds each month's or year's returns with one ``comp()``
call per group (thousands a report), where one grouped product does the same;
and each chart is saved without pyplot's extra draw (:class:`_Pyplot`).

With a second core free, every other chart is drawn in a forked copy of the
process (:class:`_ForkedCharts`): the same page, byte for byte, about 40 %
sooner; a suite's workers, one per core already, draw their own
(:func:`one_process_charts`).

A tearsheet is reproducible: its SVGs carry no save date and their clip-path
ids come from a fixed salt, so the same backtest writes the same bytes.
"""

from __future__ import annotations

import html
import os
import re
import signal
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from jpmacro_bt.engine.metrics import periods_per_year, quiet
from jpmacro_bt.errors import ReportError

__all__ = ["one_process_charts", "write_tearsheet"]

def _pct_label(x: float, _pos: object = None) -> str:
    """An axis fraction as a percent with at most one decimal: 0.025 -> "2.5%", -0.0999999 -> "-10%"."""
    text = f"{x * 100:,.1f}".rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text) + "%"


class _Pyplot:
    """pyplot as quantstats' charts see it, ``savefig`` aside: the figure's own savefig, the same file.

    pyplot's savefig then draws the figure once more for a window on screen;
    quantstats closes every figure right after saving it, so that draw (about
    a tenth of a tearsheet's time) is skipped.
    """

    def __init__(self, plt) -> None:
        self._plt = plt

    def __getattr__(self, name: str):
        return getattr(self._plt, name)

    def savefig(self, *args, **kwargs):
        # No date in the SVG's metadata: two runs of the same backtest write the same page.
        return self._plt.gcf().savefig(*args, **{"metadata": {"Date": None}, **kwargs})


class _FixedPyplot(_Pyplot):
    """pyplot as quantstats' plotting core sees it: ``xticks`` placed on the drawn
    bars, and every ``FuncFormatter`` it builds (all are percent axes) exact."""

    def FuncFormatter(self, _func):  # noqa: N802 - pyplot's name
        return self._plt.FuncFormatter(_pct_label)

    def xticks(self, ticks=None, labels=None, **kwargs):
        if ticks is not None:
            # pandas draws bar i at first + i, with x limits first - 0.5 .. last + 0.5.
            first = round(self._plt.gca().get_xlim()[0] + 0.5)
            ticks = [t + first for t in ticks]
        return self._plt.xticks(ticks, labels, **kwargs)


@contextmanager
def _quantstats_fixes():
    import matplotlib
    from quantstats import utils
    from quantstats._plotting import core, wrappers

    plt, pct, prepare, charts = core._plt, core.format_pct_axis, utils._prepare_benchmark, wrappers._plt
    group = utils.group_returns

    def pct_axis(x, pos=None):
        # Keep quantstats' K%/M% for very large values; exact labels below that.
        return pct(x, pos) if abs(x) >= 10 else _pct_label(x)

    def prepare_benchmark(benchmark=None, period="max", rf=0.0, prepare_returns=True):
        # Its `set(period) != set(benchmark.index)` is False for equal indexes: skip straight past it, as it would.
        if isinstance(period, pd.DatetimeIndex) and isinstance(benchmark, pd.Series) and period.equals(benchmark.index):
            period = "max"
        return prepare(benchmark, period, rf, prepare_returns)

    def group_returns(returns, groupby, compounded=False):
        # Its compounded branch calls comp() once per group through groupby.apply (thousands of calls a report);
        # one grouped product computes the same (1 + r).prod() - 1 of every group.
        return returns.add(1).groupby(groupby).prod() - 1 if compounded else group(returns, groupby, compounded)

    core._plt, core.format_pct_axis, utils._prepare_benchmark, wrappers._plt = _FixedPyplot(plt), pct_axis, prepare_benchmark, _Pyplot(charts)
    utils.group_returns = group_returns
    try:
        with matplotlib.rc_context({"svg.hashsalt": "jpmacro-bt"}):  # clip-path ids from a fixed salt, not a random one
            yield
    finally:
        core._plt, core.format_pct_axis, utils._prepare_benchmark, wrappers._plt = plt, pct, prepare, charts
        utils.group_returns = group


_SERIAL = [False]  # True while the caller already keeps every core busy (a suite's workers)


def one_process_charts(on: bool = True) -> bool:
    """Draw every tearsheet chart in this process from now on (``on``), e.g. in a pool's worker when the pool
    already has one per core; returns the previous setting."""
    before, _SERIAL[0] = _SERIAL[0], bool(on)
    return before


def _spare_core() -> bool:
    if _SERIAL[0] or not hasattr(os, "fork"):
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:
        return (os.cpu_count() or 1) >= 2


class _ForkedCharts:
    """quantstats' plots module as its ``html()`` sees it, every other chart drawn in a forked copy of this process.

    A chart handed to a child gets a placeholder in the page; the child draws it
    with the very arguments (and the fixes above) into its own buffer and sends
    the SVG back through a pipe; :meth:`fill` puts each in its place once the page
    is written. The charts are the same bytes as drawn here (tested); a child that
    fails has its chart drawn here instead.
    """

    def __init__(self, plots) -> None:
        self._plots = plots
        self._calls = 0
        self._children: list[tuple[str, int, int, object, tuple, dict]] = []

    def __getattr__(self, name: str):
        func = getattr(self._plots, name)
        return self._wrap(func) if callable(func) else func

    def _wrap(self, func):
        def chart(*args, **kwargs):
            savefig = kwargs.get("savefig")
            self._calls += 1
            if not (isinstance(savefig, dict) and hasattr(savefig.get("fname"), "write")) or self._calls % 2 == 0:
                return func(*args, **kwargs)
            token = f"<!--jpmacro-chart-{self._calls}-->"
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: draw, send, and leave without running anything of the parent's
                code = 1
                try:
                    os.close(read)
                    with os.fdopen(write, "wb") as out:
                        out.write(_draw(func, args, kwargs))
                    code = 0
                finally:
                    os._exit(code)
            os.close(write)
            savefig["fname"].write(token.encode())
            self._children.append((token, pid, read, func, args, kwargs))
            return None

        return chart

    def fill(self, text: str) -> str:
        """``text`` with every placeholder replaced by its chart."""
        while self._children:
            token, pid, read, func, args, kwargs = self._children.pop(0)
            with os.fdopen(read, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            if status != 0 or not data:
                data = _draw(func, args, kwargs)
            text = text.replace(token, data.decode(), 1)
        return text

    def stop(self) -> None:
        """End the children still drawing (after an error in this process)."""
        for _, pid, read, *_ in self._children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
            os.close(read)
        self._children.clear()


def _draw(func, args: tuple, kwargs: dict) -> bytes:
    import io

    buffer = io.BytesIO()
    func(*args, **{**kwargs, "savefig": {**kwargs["savefig"], "fname": buffer}})
    return buffer.getvalue()


_REMOTE_LINK = re.compile(r'\s*<link[^>]+href="https?://[^"]*"[^>]*>', re.IGNORECASE)


def _write_flat(path: Path, returns: pd.Series, benchmark: pd.Series, *, title: str, strategy_title: str, benchmark_title: str,
                parameters: dict[str, object], section: str) -> None:
    """The tearsheet of a run that held no position: the period, the parameters and both sets of metrics."""
    from jpmacro_bt.engine.metrics import METRICS, compute_metrics, format_metric, label
    from jpmacro_bt.files import write_text

    esc = html.escape
    mine, theirs = compute_metrics(returns), compute_metrics(benchmark)
    rows = "".join(
        f"<tr><td>{esc(label(k))}</td><td>{esc(format_metric(k, mine.get(k)))}</td><td>{esc(format_metric(k, theirs.get(k)))}</td></tr>"
        for k in METRICS if k in mine
    )
    params = " &bull; ".join(f"{esc(str(k))}: {esc(str(v))}" for k, v in parameters.items())
    write_text(path, f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font:13px/1.4 Arial,sans-serif;margin:30px}}.container{{max-width:960px;margin:auto}}
table{{border-spacing:0;margin:1em 0}}td,th{{padding:4px 10px;text-align:right}}td:first-child,th:first-child{{text-align:left}}
thead th{{background:#eee}}</style></head>
<body><div class="container"><h1>{esc(title)}</h1><h4>{params}</h4>
<p><b>No position was held from {returns.index[0]:%Y-%m-%d} to {returns.index[-1]:%Y-%m-%d}</b> ({len(returns):,} bars): the
strategy's signals never fired in this period, so its equity stayed flat. The benchmark's numbers are beside it.</p>
<table><thead><tr><th>metric</th><th>{esc(strategy_title)}</th><th>{esc(benchmark_title)}</th></tr></thead><tbody>{rows}</tbody></table>
</div>{section}</body></html>""")


def write_tearsheet(
    path: Path,
    returns: pd.Series,
    benchmark: pd.Series,
    *,
    title: str,
    strategy_title: str,
    benchmark_title: str,
    parameters: dict[str, object],
    section: str = "",
) -> None:
    """Write quantstats' full HTML report of ``returns`` against ``benchmark`` to ``path``.

    Every text we pass in is HTML-escaped first: quantstats pastes titles and
    parameters into its template verbatim. ``section`` is HTML of our own
    (already escaped) placed after quantstats' report, e.g. the trades section.
    """
    if not returns.index.equals(benchmark.index):
        raise ReportError("tearsheet: strategy and benchmark returns must share one index")
    if returns.index.tz is not None:
        raise ReportError("tearsheet: returns must be indexed by tz-naive dates")
    if not returns.to_numpy(dtype=float).any():
        # quantstats regresses the returns on the benchmark and fails on a flat line; a run that never
        # traded is still an answer, so it gets a page of its own.
        _write_flat(path, returns, benchmark, title=title, strategy_title=strategy_title, benchmark_title=benchmark_title,
                    parameters=parameters, section=section)
        return
    import quantstats as qs
    import matplotlib
    from quantstats import reports

    matplotlib.use("Agg", force=False)
    esc = html.escape
    plots = reports._get_plots()
    forked = _ForkedCharts(plots) if _spare_core() else None
    with quiet(), _quantstats_fixes():
        if forked is not None:
            reports._plots = forked  # html() reaches the charts through reports._get_plots()
        try:
            qs.reports.html(
                returns.rename(esc(strategy_title)),
                benchmark=benchmark.rename(esc(benchmark_title)),
                rf=0.0,
                title=esc(title),
                output=str(path),
                compounded=True,
                periods_per_year=periods_per_year(returns.index),
                match_dates=False,
                figfmt="svg",
                strategy_title=esc(strategy_title),
                benchmark_title=esc(benchmark_title),
                parameters={esc(str(k)): esc(str(v)) for k, v in parameters.items()},
            )
            text = path.read_text(encoding="utf-8")
            if forked is not None:
                text = forked.fill(text)
        finally:
            reports._plots = plots
            if forked is not None:
                forked.stop()
        import matplotlib.pyplot as plt

        plt.close("all")
    # quantstats labels CAGR with U+FE6A SMALL PERCENT SIGN, which common fonts lack.
    # quantstats' template calls save() on load, a function it never defines: an error in every browser console.
    text = _REMOTE_LINK.sub("", text).replace("\ufe6a", "%").replace('<body onload="save()">', "<body>")
    if section:
        text = text.replace("</body>", section + "\n</body>", 1) if "</body>" in text else text + section
    path.write_text(text, encoding="utf-8")
