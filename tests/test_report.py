"""Tearsheets: offline, escaped, and with quantstats' chart bugs worked around."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.reports import tearsheet as report
from jpmacro_bt.engine.metrics import compute_metrics, quiet
from jpmacro_bt.errors import ReportError


def _returns(years: int = 12):
    idx = pd.bdate_range("2014-01-01", periods=252 * years, name="date")
    rng = np.random.default_rng(7)
    return pd.Series(rng.normal(0, 0.005, len(idx)), idx), pd.Series(rng.normal(0, 0.006, len(idx)), idx)


@pytest.fixture(scope="module")
def tearsheet(tmp_path_factory):
    r, b = _returns()
    path = tmp_path_factory.mktemp("ts") / "tearsheet.html"
    report.write_tearsheet(path, r, b, title="<script>alert(1)</script> & co", strategy_title="s<b>", benchmark_title="long JPY",
                           parameters={"hold_days": "<i>20</i>"})
    return path.read_text(encoding="utf-8")


def test_tearsheet_requests_nothing_remote(tearsheet):
    # Links to follow are fine; nothing may be loaded from the network when the page opens.
    loads = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="(https?://[^"]+)"', tearsheet)
    assert loads == []


def test_text_we_pass_is_escaped(tearsheet):
    assert "<script>alert(1)</script>" not in tearsheet and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in tearsheet
    assert "<i>20</i>" not in tearsheet and "&lt;i&gt;20&lt;/i&gt;" in tearsheet


def test_no_small_percent_glyph(tearsheet):
    assert "\ufe6a" not in tearsheet and "CAGR%" in tearsheet


def test_eoy_year_labels_sit_under_their_bars():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import quantstats as qs

    r, b = _returns(12)
    with quiet(), report._quantstats_fixes():
        fig = qs.plots.yearly_returns(r.rename("s"), b.rename("b"), show=False)
    ax = fig.axes[0]
    labelled = {round(t): lab.get_text() for t, lab in zip(ax.get_xticks(), ax.get_xticklabels()) if lab.get_text()}
    # Each bar group is centred on an integer x; the label there must be that bar's year.
    centres = sorted({round(p.get_x() + p.get_width()) for p in ax.patches if p.get_height() != 0})
    years = sorted(set(r.index.year))
    assert len(centres) == len(years)
    assert all(labelled.get(c) in (str(y), None) for c, y in zip(centres, years))
    assert labelled.get(centres[0]) == str(years[0])
    plt.close(fig)


def test_tz_aware_or_misaligned_inputs_are_refused(tmp_path):
    r, b = _returns(1)
    with pytest.raises(ReportError, match="share one index"):
        report.write_tearsheet(tmp_path / "x.html", r, b.iloc[1:], title="t", strategy_title="s", benchmark_title="b", parameters={})
    with pytest.raises(ReportError, match="tz-naive"):
        rz, bz = r.tz_localize("UTC"), b.tz_localize("UTC")
        report.write_tearsheet(tmp_path / "x.html", rz, bz, title="t", strategy_title="s", benchmark_title="b", parameters={})


def test_flat_strategy_has_no_sharpe():
    idx = pd.bdate_range("2024-01-01", periods=30)
    m = compute_metrics(pd.Series(0.0, idx))
    assert m["sharpe"] is None and m["total_return"] == 0.0 and m["max_drawdown"] == 0.0


@pytest.mark.parametrize(("x", "label"), [(0.025, "2.5%"), (-0.0999999, "-10%"), (0.1, "10%"), (0.0, "0%"), (-1e-9, "0%"), (12.5, "1,250%")])
def test_percent_axis_labels_are_exact(x, label):
    assert report._pct_label(x) == label


def test_quantstats_axes_use_exact_labels_inside_the_fix_only():
    from quantstats._plotting import core

    before = core.format_pct_axis(0.025, None)
    with report._quantstats_fixes():
        assert core.format_pct_axis(0.025, None) == "2.5%"
        assert core._plt.FuncFormatter(lambda x, pos: "int")(-0.0999999, None) == "-10%"
    assert core.format_pct_axis(0.025, None) == before == "2%"  # quantstats' own rounding, restored


def test_same_returns_write_the_same_page(tmp_path):
    # Two tearsheets of one backtest are byte-identical: no save date in the SVGs, clip-path ids from a fixed salt.
    r, b = _returns(2)
    pages = []
    for name in ("a.html", "b.html"):
        report.write_tearsheet(tmp_path / name, r, b, title="t", strategy_title="s", benchmark_title="b", parameters={"x": 1})
        pages.append((tmp_path / name).read_bytes())
    assert pages[0] == pages[1]
    assert b"<dc:date>" not in pages[0] and b'clip-path="url(#p' in pages[0]


def test_compounded_groups_equal_each_group_compounded_by_hand():
    # quantstats' yearly/monthly figures, computed by one grouped product inside the fix: checked against a plain
    # loop that compounds each group's returns one by one, (1 + r1)(1 + r2)... - 1, NaN skipped as quantstats does.
    from quantstats import utils

    r, b = _returns(3)
    r.iloc[5] = np.nan
    frame = pd.DataFrame({"s": r, "b": b})
    with report._quantstats_fixes():
        by_year = utils.group_returns(r, r.index.year, compounded=True)
        by_month = utils.aggregate_returns(frame, "month", compounded=True)
        summed = utils.group_returns(r, r.index.year, compounded=False)
    for year, value in by_year.items():
        growth = 1.0
        for x in r[r.index.year == year].dropna():
            growth *= 1 + x
        assert value == pytest.approx(growth - 1, rel=1e-12, abs=1e-15)
    for month in range(1, 13):
        for col in frame:
            growth = 1.0
            for x in frame[col][frame.index.month == month].dropna():
                growth *= 1 + x
            assert by_month.loc[month, col] == pytest.approx(growth - 1, rel=1e-12, abs=1e-15)
    assert summed.to_dict() == pytest.approx(r.groupby(r.index.year).sum().to_dict())
    assert utils.group_returns.__module__ == "quantstats.utils"  # quantstats' own again after the fix


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="charts are drawn in forked processes only where fork exists")
def test_charts_drawn_in_a_second_process_are_the_charts_drawn_here(tmp_path, monkeypatch):
    # Every other chart is drawn by a forked child (when a second core is free); the page must be the page drawn
    # in one process, byte for byte. A child that fails has its chart drawn here: the page is still the same.
    r, b = _returns(2)
    kw = dict(title="t", strategy_title="s", benchmark_title="b", parameters={"x": 1})
    monkeypatch.setattr(report, "_spare_core", lambda: True)
    report.write_tearsheet(tmp_path / "forked.html", r, b, **kw)
    monkeypatch.setattr(report, "_spare_core", lambda: False)
    report.write_tearsheet(tmp_path / "here.html", r, b, **kw)
    forked, here = (tmp_path / "forked.html").read_bytes(), (tmp_path / "here.html").read_bytes()
    assert b"jpmacro-chart" not in forked and forked.count(b"<svg") == here.count(b"<svg") >= 10
    assert forked == here
    monkeypatch.setattr(report, "_draw", _failing_in_children(report._draw))
    monkeypatch.setattr(report, "_spare_core", lambda: True)
    report.write_tearsheet(tmp_path / "fallback.html", r, b, **kw)
    assert (tmp_path / "fallback.html").read_bytes() == here


def _failing_in_children(draw):
    import os

    parent = os.getpid()

    def flaky(*args):
        if os.getpid() != parent:
            raise RuntimeError("a child that fails")
        return draw(*args)

    return flaky


def test_a_pool_worker_can_keep_its_charts_in_its_own_process(monkeypatch):
    monkeypatch.setattr(report.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert report._spare_core()
    before = report.one_process_charts()
    try:
        assert not report._spare_core()
    finally:
        report.one_process_charts(before)
    assert report._spare_core()

