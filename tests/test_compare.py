"""Reading run folders, putting runs on one footing, and the comparison page, on hand-made runs.

``tests/data/runs/alpha`` covers 2024-01-01 .. 2024-01-10 and ``beta`` 2024-01-04 .. 2024-01-15 (8 business
days each); their common period is 2024-01-04 .. 2024-01-10, five bars.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.reports.compare import compare, correlation, exposure_from_trades, monthly_returns
from jpmacro_bt.reports.compare_page import log_ticks, write_comparison
from jpmacro_bt.errors import ReportError
from jpmacro_bt.engine.metrics import compute_metrics
from jpmacro_bt.reports.runs import expand, load_run, scan

RUNS = Path(__file__).parent / "data" / "runs"
ALPHA, BETA = RUNS / "alpha", RUNS / "beta"


def by_strategy(comparison):
    return {e.run.strategy: e for e in comparison.entries}


# ---------------------------------------------------------------- reading run folders


def test_a_run_folder_reads_back_its_json():
    run = load_run(ALPHA)
    assert (run.run_id, run.strategy, run.start, run.end, run.bars) == ("alpha-20260102-100000-abc123", "alpha", "2024-01-01", "2024-01-10", 8)
    assert run.params == {"hold_days": 2, "stop": None}
    assert run.metrics["trades"] == 2.0 and run.tearsheet == ALPHA / "tearsheet.html"
    returns = run.returns()
    assert list(returns.columns) == ["strategy", "benchmark"] and returns.index[0] == pd.Timestamp("2024-01-01")
    assert list(run.trades()["status"]) == ["closed", "closed"]


def test_the_fixtures_metrics_are_quantstats_own_of_their_returns():
    """So a comparison over a run's whole period can show the recorded numbers as they are."""
    for folder in (ALPHA, BETA):
        run = load_run(folder)
        returns, trades = run.returns()["strategy"], run.trades()
        again = compute_metrics(returns, trades=trades, exposure=exposure_from_trades(trades, returns.index))
        assert again == pytest.approx(run.metrics, nan_ok=True), folder.name


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("broken_json", r"run folder .*broken_json: metrics\.json is not valid JSON \(.*line \d+\); the file is damaged, re-run it: jpmacro-bt run alpha"),
        ("missing_returns", r"run folder .*missing_returns is incomplete: returns\.csv missing; re-run it: jpmacro-bt run alpha"),
        ("old_format", r"run folder .*old_format has an older or unknown format \(metrics\.json has no period with start, end and bars\); re-run it: jpmacro-bt run alpha with this version"),
        ("not_a_run", r".*not_a_run is not a run folder \(no metrics\.json, returns\.csv, trades\.csv, manifest\.json\); pass a folder written by `jpmacro-bt run`"),
        ("does_not_exist", r".*does_not_exist does not exist; pass a run folder such as reports/<run-id>"),
    ],
)
def test_a_folder_that_is_not_a_readable_run_is_named_with_the_fix(folder, message):
    with pytest.raises(ReportError, match=message):
        load_run(RUNS / folder)


def test_returns_that_do_not_match_the_metrics_are_caught(tmp_path):
    folder = shutil.copytree(ALPHA, tmp_path / "edited")
    lines = (folder / "returns.csv").read_text().splitlines()
    (folder / "returns.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ReportError, match=r"edited: returns\.csv \(2024-01-01 \.\. 2024-01-09, 7 rows\) does not match metrics\.json \(2024-01-01 \.\. 2024-01-10, 8 bars\)"):
        load_run(folder).returns()


def test_returns_with_a_bad_header_or_value_are_caught(tmp_path):
    folder = shutil.copytree(ALPHA, tmp_path / "bad")
    text = (folder / "returns.csv").read_text()
    (folder / "returns.csv").write_text(text.replace("date,strategy,benchmark", "date,returns,benchmark"))
    with pytest.raises(ReportError, match=r"bad: returns\.csv has columns date,returns,benchmark, expected date,strategy,benchmark"):
        load_run(folder).returns()
    (folder / "returns.csv").write_text(text.replace("2024-01-05,-0.05", "2024-01-05,oops"))
    with pytest.raises(ReportError, match=r"bad: returns\.csv cannot be read"):
        load_run(folder).returns()


def test_expand_keeps_the_readable_runs_and_names_the_rest():
    runs, skipped = expand([ALPHA, RUNS / "broken_json", BETA, ALPHA, RUNS / "not_a_run"])
    assert [r.strategy for r in runs] == ["alpha", "beta"]  # alpha named twice, read once
    assert [s.path.name for s in skipped] == ["broken_json", "not_a_run"]


def test_scan_lists_runs_in_suites_too_newest_first_and_passes_over_pages(tmp_path):
    shutil.copytree(ALPHA, tmp_path / "alpha")
    suite = tmp_path / "suite-20260105-000000"
    shutil.copytree(BETA, suite / "beta")
    (suite / "suite.json").write_text("{}")
    (tmp_path / "compare-20260105-000000").mkdir()
    (tmp_path / "compare-20260105-000000" / "index.html").write_text("<html></html>")
    (tmp_path / "sweep-20260105-000000").mkdir()
    (tmp_path / "sweep-20260105-000000" / "sweep.html").write_text("<html></html>")
    (tmp_path / "sweep-20260105-000000" / "manifest.json").write_text('{"sweep_id": "20260105-000000"}')
    shutil.copytree(RUNS / "old_format", tmp_path / "old")
    (tmp_path / ".alpha-being-written.tmp").mkdir()
    runs, skipped = scan(tmp_path)
    assert [r.path.relative_to(tmp_path).as_posix() for r in runs] == ["suite-20260105-000000/beta", "alpha"]
    assert [s.path.name for s in skipped] == ["old"]
    with pytest.raises(ReportError, match=r"sweep-20260105-000000 is a sweep folder \(`jpmacro-bt sweep`\), not a run; open its sweep\.html"):
        load_run(tmp_path / "sweep-20260105-000000")


def _reports_with_links(tmp_path: Path) -> Path:
    """alpha, a real run; beta-link, a link to a run outside; gamma, whose returns.csv links to a file
    outside; suite-x, a real suite holding a link to a run outside; suite-y, a link to a suite outside."""
    reports, outside = tmp_path / "reports", tmp_path / "elsewhere"
    shutil.copytree(ALPHA, reports / "alpha")
    shutil.copytree(BETA, outside / "beta")
    (outside / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (reports / "beta-link").symlink_to(outside / "beta")
    shutil.copytree(ALPHA, reports / "gamma")
    (reports / "gamma" / "returns.csv").unlink()
    (reports / "gamma" / "returns.csv").symlink_to(outside / "secret.txt")
    (reports / "suite-x").mkdir()
    (reports / "suite-x" / "suite.json").write_text("{}")
    (reports / "suite-x" / "beta").symlink_to(outside / "beta")
    shutil.copytree(reports / "suite-x", outside / "suite-y", symlinks=True)
    (reports / "suite-y").symlink_to(outside / "suite-y")
    return reports


def test_scan_never_follows_a_link_out_of_the_reports_folder(tmp_path):
    reports = _reports_with_links(tmp_path)
    outside = tmp_path / "elsewhere"
    runs, skipped = scan(reports)
    assert [r.path.name for r in runs] == ["alpha"]
    assert {s.path.relative_to(reports).as_posix(): s.reason for s in skipped} == {
        "beta-link": f"{reports / 'beta-link'} is a symbolic link to {outside / 'beta'}; run folders are not read "
        "through links, which may point anywhere: copy the run into the reports folder, or pass the folder itself",
        "gamma": f"run folder {reports / 'gamma'}: returns.csv is a symbolic link to {outside / 'secret.txt'}; "
        "a run's files are never read through links: re-run the backtest",
        "suite-x/beta": f"{reports / 'suite-x' / 'beta'} is a symbolic link to {outside / 'beta'}; run folders are not "
        "read through links, which may point anywhere: copy the run into the reports folder, or pass the folder itself",
        "suite-y": f"{reports / 'suite-y'} is a symbolic link to {outside / 'suite-y'}; run folders are not read "
        "through links, which may point anywhere: copy the run into the reports folder, or pass the folder itself",
    }
    # Named on the command line, a link is refused all the same.
    runs, skipped = expand([reports / "beta-link", reports / "gamma", reports / "suite-y", reports / "alpha"])
    assert [r.path.name for r in runs] == ["alpha"] and len(skipped) == 3


def test_reports_and_compare_commands_skip_links_in_one_line_each(tmp_path):
    reports = _reports_with_links(tmp_path)
    listed = CliRunner().invoke(app, ["reports", "--reports-dir", str(reports)], env={"COLUMNS": "160"})
    assert listed.exit_code == 0, listed.output
    lines = listed.stderr.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("skipped: ") for line in lines)
    assert "returns.csv is a symbolic link to" in listed.stderr and "root:x" not in listed.output
    assert "beta" not in listed.stdout
    result = CliRunner().invoke(app, ["compare", str(reports / "gamma"), str(reports / "beta-link"), "--out", str(tmp_path / "c")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "root:x" not in result.output
    assert result.stderr.strip().endswith("ReportError: no run to compare: every folder named was skipped (reasons above)")
    assert not (tmp_path / "c").exists()


def test_scan_of_a_missing_folder_says_how_to_make_runs(tmp_path):
    with pytest.raises(ReportError, match=r"reports folder .*nowhere does not exist; run `jpmacro-bt run STRATEGY` first"):
        scan(tmp_path / "nowhere")


# ---------------------------------------------------------------- the footing


def test_common_period_numbers_worked_out_by_hand():
    c = compare([load_run(ALPHA), load_run(BETA)])
    assert c.aligned and c.period == ("2024-01-04", "2024-01-10")
    assert "common period, 2024-01-04 .. 2024-01-10" in c.note and "--no-align" in c.note
    # beta starts last (2024-01-04) and alpha ends first (2024-01-10): the note names who sets each end.
    assert "its start is set by beta, its end by alpha" in c.note
    alpha, beta = by_strategy(c)["alpha"], by_strategy(c)["beta"]
    # alpha on 01-04, 05, 08, 09, 10: +10 %, -5 %, +2 %, 0, +1 %
    assert alpha.metrics["total_return"] == pytest.approx(1.10 * 0.95 * 1.02 * 1.00 * 1.01 - 1)  # 7.6559 %
    # beta on the same days: 0, +2 %, -1 %, 0, +3 %
    assert beta.metrics["total_return"] == pytest.approx(1.00 * 1.02 * 0.99 * 1.00 * 1.03 - 1)  # 4.0094 %
    # alpha's trade opened 01-03 is not counted; the one of 01-08 .. 01-10 lost: 1 trade, 0 % won.
    # Held at the close of 01-04 (first trade), 01-08 and 01-09 (second): 3 of 5 bars.
    assert (alpha.metrics["trades"], alpha.metrics["win_rate"], alpha.metrics["exposure"]) == (1.0, 0.0, pytest.approx(3 / 5))
    # beta's open short from 01-09: held on 01-09 and 01-10; still open, so no win rate.
    assert (beta.metrics["trades"], beta.metrics["win_rate"], beta.metrics["exposure"]) == (1.0, None, pytest.approx(2 / 5))
    # The return-based rest is quantstats' own on the five days.
    assert alpha.metrics["sharpe"] == pytest.approx(compute_metrics(alpha.returns)["sharpe"])
    assert alpha.cut and beta.cut and len(alpha.returns) == len(beta.returns) == 5


def test_no_align_keeps_each_period_and_the_recorded_numbers():
    c = compare([load_run(ALPHA), load_run(BETA)], align=False)
    assert not c.aligned and c.period is None and "own period" in c.note
    alpha = by_strategy(c)["alpha"]
    assert alpha.metrics == load_run(ALPHA).metrics and not alpha.cut
    assert (alpha.start, alpha.end) == ("2024-01-01", "2024-01-10")


def test_runs_that_share_no_period_are_shown_over_their_own_and_the_page_says_so(tmp_path):
    late = shutil.copytree(BETA, tmp_path / "late")
    for name in ("returns.csv", "trades.csv"):
        (late / name).write_text((late / name).read_text().replace("2024-01", "2025-01"))
    for name in ("metrics.json", "manifest.json"):
        (late / name).write_text((late / name).read_text().replace("2024-01", "2025-01"))
    c = compare([load_run(ALPHA), load_run(late)])
    assert not c.aligned and "share no period" in c.note and "alpha: 2024-01-01 .. 2024-01-10" in c.note


def test_sort_is_best_first_and_undefined_last():
    runs = [load_run(ALPHA), load_run(BETA)]
    assert [e.run.strategy for e in compare(runs, sort="total_return").entries] == ["alpha", "beta"]  # 7.7 % > 4.0 %
    assert [e.run.strategy for e in compare(runs, sort="volatility").entries][0] == min(
        compare(runs).entries, key=lambda e: e.metrics["volatility"]
    ).run.strategy
    assert [e.run.strategy for e in compare(runs, sort="win_rate").entries] == ["alpha", "beta"]  # beta has none
    assert [e.run.strategy for e in compare(runs, sort="created").entries] == ["beta", "alpha"]  # newest first
    with pytest.raises(ReportError, match=r"--sort 'shape' is not a metric; use one of total_return, cagr, sharpe"):
        compare(runs, sort="shape")


def test_labels_tell_runs_of_one_strategy_apart(tmp_path):
    other = shutil.copytree(ALPHA, tmp_path / "alpha2")
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["strategy"]["params"]["hold_days"] = 5
    manifest["run_id"] = "alpha-20260104-100000-def456"
    (other / "manifest.json").write_text(json.dumps(manifest))
    copy = shutil.copytree(ALPHA, tmp_path / "alpha3")
    labels = sorted(e.label for e in compare([load_run(ALPHA), load_run(other), load_run(copy)]).entries)
    assert labels == ["alpha (hold_days=2) 20260102-100000-abc123 [1]", "alpha (hold_days=2) 20260102-100000-abc123 [3]", "alpha (hold_days=5)"]


def test_a_run_whose_csv_is_damaged_is_listed_not_compared(tmp_path):
    bad = shutil.copytree(ALPHA, tmp_path / "bad")
    (bad / "trades.csv").write_text("")
    c = compare([load_run(bad), load_run(BETA)], skipped=expand([RUNS / "not_a_run"])[1])
    assert [e.run.strategy for e in c.entries] == ["beta"]
    assert [Path(p.name).name for p in c.problems] == ["not_a_run", "bad"]
    assert "trades.csv is empty" in c.problems[1].message


# ---------------------------------------------------------------- pure pieces


def test_monthly_returns_compound_within_each_month():
    index = pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02", "2025-03-03"])
    table = monthly_returns(pd.Series([0.10, -0.10, 0.05, 0.02, 0.01], index=index))
    assert table.loc[2024, 1] == pytest.approx(1.1 * 0.9 - 1)  # -1 %
    assert table.loc[2024, 2] == pytest.approx(1.05 * 1.02 - 1)  # +7.1 %
    assert table.loc[2024, "year"] == pytest.approx(0.99 * 1.071 - 1)
    assert table.loc[2025, 3] == pytest.approx(0.01) and np.isnan(table.loc[2025, 1])
    assert list(table.columns) == [*range(1, 13), "year"]


def test_correlation_on_one_calendar_is_pearson():
    index = pd.bdate_range("2024-01-01", periods=6)
    a = pd.Series([0.01, -0.02, 0.03, 0.0, 0.01, -0.01], index=index)
    b = pd.Series([0.02, -0.01, 0.01, 0.01, 0.0, -0.02], index=index)
    flat = pd.Series(0.0, index=index)
    table = correlation({"a": a, "b": b, "flat": flat})
    assert table.loc["a", "b"] == table.loc["b", "a"] == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert table.loc["a", "a"] == pytest.approx(1.0)
    assert np.isnan(table.loc["a", "flat"]) and np.isnan(table.loc["flat", "flat"])


def test_correlation_across_calendars_compounds_onto_shared_dates():
    """A seven-day run against a business-day run: the weekend folds into Monday's return."""
    daily = pd.Series([0.01, 0.02, 0.03, 0.04, 0.05], index=pd.to_datetime(["2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"]))
    days = pd.to_datetime(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"])
    business = pd.Series([0.0, 0.01, -0.01, 0.02], index=days)
    table = correlation({"d": daily, "b": business})
    # Shared dates 01-04, 01-05, 01-08; returns from 01-04 to 01-05 and from 01-05 to 01-08:
    d = [0.02, 1.03 * 1.04 * 1.05 - 1]
    b = [0.01, -0.01]
    assert len(d) < 3 and np.isnan(table.loc["d", "b"])  # two points are not enough
    daily = pd.concat([daily, pd.Series([0.0, -0.01], index=pd.to_datetime(["2024-01-09", "2024-01-10"]))])
    business = pd.concat([business, pd.Series([0.02], index=pd.to_datetime(["2024-01-10"]))])
    table = correlation({"d": daily, "b": business})
    d += [0.0, -0.01]
    b += [0.02, 0.02]
    assert table.loc["d", "b"] == pytest.approx(np.corrcoef(d, b)[0, 1])


def test_exposure_counts_bars_from_entry_to_the_bar_before_exit():
    index = pd.bdate_range("2024-01-01", periods=6)
    trades = pd.DataFrame({"entry_date": ["2024-01-02", "2024-01-05"], "exit_date": ["2024-01-04", ""], "status": ["closed", "open"]})
    assert exposure_from_trades(trades, index).tolist() == [False, True, True, False, True, True]


# ---------------------------------------------------------------- the page and its files


def test_the_page_metrics_csv_and_correlation_csv(tmp_path):
    c = compare([load_run(ALPHA), load_run(BETA)], skipped=expand([RUNS / "broken_json"])[1])
    page = write_comparison(c, tmp_path / "cmp", title="two runs")
    text = page.read_text()
    assert page.parent.name == "cmp" and not list(tmp_path.glob(".cmp*"))
    rows = re.findall(r"<tr><th scope=\"row\" data-v=\"([^\"]+)\"", text)
    assert rows == ["beta", "alpha"]  # best Sharpe first: 7.73 (beta), 4.69 (alpha)
    assert text.count('<table class="heat monthly">') == 2 and 'id="correlation"' in text
    assert text.count("<svg") == 3 and "common period, 2024-01-04 .. 2024-01-10" in text
    links = re.findall(r'href="([^"#][^"]*)"', text)
    assert links and not [h for h in links if h.startswith(("/", "file:", "http"))]  # relative: the pages open from disk and move together
    assert re.search(r'<a href="[^"]*alpha/tearsheet\.html">tearsheet</a>', text)
    assert "broken_json: metrics.json is not valid JSON" in text  # the skipped folder is on the page
    assert "f" * 16 in text  # the data fingerprint
    with open(page.parent / "metrics.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["strategy"] for r in table] == ["beta", "alpha"]
    assert float(table[1]["total_return"]) == pytest.approx(0.076559) and table[0]["win_rate"] == ""
    assert (table[1]["start"], table[1]["end"], table[1]["bars"], table[1]["cut"]) == ("2024-01-04", "2024-01-10", "5", "true")
    corr = pd.read_csv(page.parent / "correlation.csv", index_col="label")
    assert list(corr.index) == ["beta", "alpha"] and corr.loc["alpha", "alpha"] == pytest.approx(1.0)


def test_the_page_loads_nothing_from_the_network(tmp_path):
    page = write_comparison(compare([load_run(ALPHA), load_run(BETA)]), tmp_path / "cmp", title="t")
    text = page.read_text()
    loads = re.findall(r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*(?:src|href|data)=\"([^\"]*)\"", text, re.I)
    assert all(url.startswith("data:") for url in loads), loads
    assert not re.search(r"url\(\s*['\"]?https?:", text) and "@import" not in text


def test_every_text_reaching_the_page_is_escaped(tmp_path):
    evil = shutil.copytree(ALPHA, tmp_path / "evil")
    manifest = json.loads((evil / "manifest.json").read_text())
    manifest["strategy"].update(id="<script>alert(1)</script>", claim="a & b <b>bold</b>", params={"x\"><img src=x>": "$5 <i>"})
    manifest["warnings"] = ["<script>warn()</script>"]
    (evil / "manifest.json").write_text(json.dumps(manifest))
    page = write_comparison(compare([load_run(evil)]), tmp_path / "cmp", title="<title>")
    text = page.read_text()
    assert "<script>alert" not in text and "<script>warn" not in text and "<img src=x>" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "a &amp; b" in text
    assert text.count("<script>") == 1  # the page's own


def test_write_comparison_refuses_an_existing_folder(tmp_path):
    (tmp_path / "cmp").mkdir()
    with pytest.raises(ReportError, match=r"cmp already exists; pass another --out"):
        write_comparison(compare([load_run(ALPHA)]), tmp_path / "cmp", title="t")


# ---------------------------------------------------------------- the commands


def test_compare_command_writes_the_page_and_prints_the_table(tmp_path):
    result = CliRunner().invoke(app, ["compare", str(ALPHA), str(BETA), str(RUNS / "old_format"), "--out", str(tmp_path / "c"), "--sort", "total_return"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c" / "index.html").is_file() and (tmp_path / "c" / "metrics.csv").is_file()
    assert "skipped: run folder" in result.stderr and "old_format has an older or unknown format" in result.stderr
    assert "common period, 2024-01-04 .. 2024-01-10" in result.stdout
    table = result.stdout[result.stdout.index("total") :]
    assert table.index("alpha") < table.index("beta") and "7.7%" in table and "4.0%" in table
    assert f"comparison: {tmp_path / 'c' / 'index.html'}" in result.stdout


def test_compare_latest_takes_the_newest_runs(tmp_path):
    for folder in (ALPHA, BETA):
        shutil.copytree(folder, tmp_path / folder.name)
    result = CliRunner().invoke(app, ["compare", "--latest", "1", "--reports-dir", str(tmp_path), "--no-align"])
    assert result.exit_code == 0, result.output
    pages = list(tmp_path.glob("compare-*/index.html"))
    assert len(pages) == 1
    rows = re.findall(r"<tr><th scope=\"row\" data-v=\"([^\"]+)\"", pages[0].read_text())
    assert rows == ["beta"]  # created 2026-01-03, after alpha


def test_compare_without_runs_is_a_usage_error():
    result = CliRunner().invoke(app, ["compare"])
    assert result.exit_code == 2 and "--latest" in result.output


def test_compare_of_only_bad_folders_fails_naming_them(tmp_path):
    result = CliRunner().invoke(app, ["compare", str(RUNS / "not_a_run"), "--out", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert "not_a_run is not a run folder" in result.stderr
    assert result.stderr.strip().endswith("ReportError: no run to compare: every folder named was skipped (reasons above)")
    assert not (tmp_path / "c").exists()


def test_reports_command_lists_runs_newest_first(tmp_path):
    for folder in (ALPHA, BETA, RUNS / "missing_returns"):
        shutil.copytree(folder, tmp_path / folder.name)
    result = CliRunner().invoke(app, ["reports", "--reports-dir", str(tmp_path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("beta") < out.index("alpha") and "hold_days=2, stop=None" in out and "2024-01-01 .. 2024-01-10" in out
    assert "5.27" in out and "-5.00%" in out  # alpha's recorded Sharpe and max drawdown
    assert "missing_returns is incomplete: returns.csv missing" in result.stderr


@pytest.mark.parametrize(("lo", "hi"), [(0.45, 1.55), (0.95, 1.08), (0.03, 4.2), (0.8, 40.0)])
def test_log_axis_ticks_are_round_numbers_in_range_with_one_among_them(lo, hi):
    ticks = log_ticks(lo, hi)
    assert 4 <= len(ticks) <= 9 and ticks == sorted(ticks) and all(lo <= t <= hi for t in ticks)
    assert 1.0 in ticks and all(f"{t:g}" == f"{round(t, 4):g}" for t in ticks)


def test_terminal_tables_keep_run_ids_whole_in_80_columns(monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "80")
    root = tmp_path / "reports"
    for name in ("alpha", "beta"):
        shutil.copytree(RUNS / name, root / f"{name}_with_a_long_identifier_name")
    listing = CliRunner().invoke(app, ["reports", "--reports-dir", str(root)])
    assert listing.exit_code == 0 and "…" not in listing.stdout
    assert "alpha_with_a_long_identifier_name" in listing.stdout and "2024-01-01 .. 2024-01-10" in listing.stdout
