"""run-all: every strategy of a folder into one suite, failures recorded, the rest compared.

The strategies are written into tmp_path: ``hike`` trades USDJPY (the bundled ECB data, offline),
``nikkei`` needs NIKKEI225, which an offline run with an empty cache cannot load, and ``buggy`` has a bug.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.engine.run import RunSettings
from jpmacro_bt.reports.runs import scan
from jpmacro_bt.reports.suite import available_cores, run_command, run_suite, strategy_ids

HIKE = '''"""Short USDJPY after BoJ hikes (test copy)."""
from dataclasses import dataclass

from jpmacro_bt.strategy import Signals, Strategy, hold_for, param


@dataclass(frozen=True)
class Hike(Strategy):
    claim = "short USDJPY after BoJ hikes"
    symbols = ("USDJPY",)
    calendars = ("boj",)

    hold_days: int = param(20, min=1, max=250, help="bars held")

    def signals(self, data, events):
        close = data.close("USDJPY")
        hikes = events.boj.tradable(data.bar_close("USDJPY"), decision="hike")
        entries, exits = hold_for(hikes, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits)
'''

NIKKEI = '''"""Needs NIKKEI225 (test)."""
from dataclasses import dataclass

from jpmacro_bt.strategy import Signals, Strategy


@dataclass(frozen=True)
class Nikkei(Strategy):
    claim = "long the Nikkei"
    symbols = ("NIKKEI225",)

    def signals(self, data, events):
        close = data.close("NIKKEI225")
        return Signals(close=close, entries=close > 0, exits=close < 0)
'''

BUGGY = '''"""A bug (test)."""
from dataclasses import dataclass

from jpmacro_bt.strategy import Strategy


@dataclass(frozen=True)
class Buggy(Strategy):
    claim = "divides by zero"
    symbols = ("USDJPY",)

    def signals(self, data, events):
        return 1 / 0
'''

SETTINGS = RunSettings(start=None, end=None, offline=True)
NOW = datetime(2026, 2, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def strategies(tmp_path):
    folder = tmp_path / "strategies"
    folder.mkdir()
    for name, text in (("hike", HIKE), ("nikkei", NIKKEI), ("buggy", BUGGY)):
        (folder / f"{name}.py").write_text(text)
    (folder / "_helpers.py").write_text("")
    return folder


def test_strategy_ids_list_files_without_running_them(strategies):
    assert strategy_ids(strategies) == ["buggy", "hike", "nikkei"]


def test_a_suite_records_failures_and_compares_the_rest(tmp_path, strategies):
    seen = []
    result = run_suite(
        SETTINGS, reports_dir=tmp_path / "reports", strategies_dir=strategies, jobs=1, tearsheet=False,
        command="jpmacro-bt run-all --offline", on_done=seen.append, now=NOW,
    )
    assert result.folder == tmp_path / "reports" / "suite-20260201-120000"
    assert sorted(o.strategy for o in seen) == ["buggy", "hike", "nikkei"]
    outcomes = {o.strategy: o for o in result.outcomes}
    assert outcomes["hike"].ok and outcomes["hike"].run.startswith("hike-")
    assert outcomes["nikkei"].error.startswith("DataError: could not load 1 of 1 symbols:") and "NIKKEI225" in outcomes["nikkei"].error
    assert outcomes["nikkei"].traceback is None  # a user error, not a bug
    # A bug in a strategy file is the user's to fix: one line naming the file and line of `return 1 / 0`, no traceback.
    assert outcomes["buggy"].error == f"StrategyError: {strategies / 'buggy.py'}:13: signals() of buggy raised ZeroDivisionError: division by zero; fix the strategy"
    assert outcomes["buggy"].traceback is None
    # The suite folder: the run, the page, the tables, the record; nothing half-written left behind.
    names = {p.name for p in result.folder.iterdir()}
    assert names == {"correlation.csv", "index.html", "metrics.csv", outcomes["hike"].run, "suite.json"}
    assert not list((tmp_path / "reports").glob(".*"))
    page = result.page.read_text()
    assert "suite-20260201-120000: 1 of 3 strategies ran" in page
    assert "Not compared (2)" in page and "raised ZeroDivisionError: division by zero" in page and "could not load 1 of 1 symbols" in page
    assert len(re.findall(r'<tr><th scope="row" data-v=', page)) == 1
    record = json.loads((result.folder / "suite.json").read_text())
    assert record["command"] == "jpmacro-bt run-all --offline" and record["settings"]["offline"] is True
    assert [o["strategy"] for o in record["outcomes"]] == ["buggy", "hike", "nikkei"]
    # The run inside records the single command that makes it again, and `reports` finds it.
    manifest = json.loads((result.folder / outcomes["hike"].run / "manifest.json").read_text())
    assert manifest["command"] == ["jpmacro-bt", "run", "hike", "--strategies", str(strategies), "--offline"]
    runs, skipped = scan(tmp_path / "reports")
    assert [r.strategy for r in runs] == ["hike"] and skipped == []


def test_workers_in_a_process_pool_write_runs_and_record_failures(tmp_path, strategies):
    result = run_suite(SETTINGS, reports_dir=tmp_path, strategies_dir=strategies, jobs=2, tearsheet=False, now=NOW)
    assert [o.strategy for o in result.outcomes] == ["buggy", "hike", "nikkei"]
    assert [o.error.split(":")[0] if o.error else "ok" for o in result.outcomes] == ["StrategyError", "ok", "DataError"]
    assert (result.folder / result.outcomes[1].run / "returns.csv").is_file()
    assert "1 of 3 strategies ran" in result.page.read_text()


def test_only_names_known_strategies(tmp_path, strategies):
    with pytest.raises(Exception, match=r"unknown strategy 'hik' \(did you mean hike\?\)"):
        run_suite(SETTINGS, reports_dir=tmp_path, strategies_dir=strategies, only=["hik"])


def test_an_existing_suite_folder_is_not_overwritten(tmp_path, strategies):
    # Two suites started in the same second: the second gets its own folder, and its files name that folder.
    (tmp_path / "suite-20260201-120000").mkdir()
    (tmp_path / "suite-20260201-120000" / "keep.txt").write_text("earlier suite")
    result = run_suite(SETTINGS, reports_dir=tmp_path, strategies_dir=strategies, only=["hike"], jobs=1, tearsheet=False, now=NOW)
    assert result.folder == tmp_path / "suite-20260201-120000-2"
    assert (tmp_path / "suite-20260201-120000" / "keep.txt").read_text() == "earlier suite"
    assert json.loads((result.folder / "suite.json").read_text())["suite_id"] == "suite-20260201-120000-2"
    assert "suite-20260201-120000-2: 1 of 1 strategies ran" in result.page.read_text()


def test_run_command_repeats_the_data_options():
    settings = RunSettings(start=datetime(2020, 1, 1).date(), source="ecb", data_dir=Path("data"))
    assert run_command("hike", settings, None) == ["jpmacro-bt", "run", "hike", "--start", "2020-01-01", "--source", "ecb", "--data-dir", "data"]


def test_available_cores_is_at_least_one():
    assert available_cores() >= 1


def test_run_all_command_goes_on_past_failures(tmp_path, strategies):
    args = ["run-all", "--offline", "--strategies", str(strategies), "--reports-dir", str(tmp_path), "--jobs", "1", "--only", "hike", "--only", "nikkei"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "running 2 strategies on 1 worker" in result.stderr
    assert re.search(r"ok +hike \(\d+\.\d s\)", result.stderr)
    assert "failed nikkei: DataError: could not load 1 of 1 symbols:" in result.stderr
    assert re.search(r"suite: .*suite-\d{8}-\d{6}/index\.html  \(1 of 2 strategies ran\)", result.stdout)
    assert "hike" in result.stdout and "Sharpe" in result.stdout


def test_run_all_command_fails_when_nothing_ran(tmp_path, strategies):
    args = ["run-all", "--offline", "--strategies", str(strategies), "--reports-dir", str(tmp_path), "--jobs", "1", "--only", "nikkei"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert re.search(r"ReportError: none of the 1 strategies ran; their errors are above and in .*index\.html$", result.stderr.strip())
    assert len(list(tmp_path.glob("suite-*/index.html"))) == 1  # the page lists the failure


def test_run_all_rejects_an_unknown_sort_before_running(tmp_path, strategies):
    result = CliRunner().invoke(app, ["run-all", "--strategies", str(strategies), "--reports-dir", str(tmp_path / "reports"), "--sort", "shape"])
    assert result.exit_code == 1 and "ReportError: --sort 'shape' is not a metric" in result.stderr
    assert not (tmp_path / "reports").exists()
