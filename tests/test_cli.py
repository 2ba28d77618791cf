"""The command line: exact error lines, exit codes, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from jpmacro_bt.cli import app

runner = CliRunner(env={"COLUMNS": "250"})  # wide enough that rich does not wrap table cells


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("args", "line"), [
    (["run", "boj_hike"], "StrategyError: unknown strategy 'boj_hike' (did you mean boj_hike_long_jpy?); `jpmacro-bt list` shows them"),
    (["run", "boj_hike_long_jpy", "--param", "hold_dayz=3"],
     "StrategyError: unknown parameter 'hold_dayz' for boj_hike_long_jpy (did you mean hold_days?); its parameters are: hold_days, stop, carry"),
    (["run", "boj_hike_long_jpy", "--param", "hold_days=ten"],
     "StrategyError: parameter hold_days='ten' is not a valid int for boj_hike_long_jpy; e.g. --param hold_days=<int>"),
    (["run", "boj_hike_long_jpy", "--param", "hold_days=0"],
     "StrategyError: parameter hold_days=0 is out of range: use a value between 1 and 250"),
    (["run", "boj_hike_long_jpy", "--param", "stop=abc"],
     "StrategyError: parameter stop='abc' is not a valid float or none for boj_hike_long_jpy; e.g. --param stop=<float>"),
    (["run", "boj_hike_long_jpy", "--param", "hold_days"], "StrategyError: --param 'hold_days' is not NAME=VALUE; e.g. --param hold_days=10"),
    (["run", "boj_hike_long_jpy", "--start", "2020-02-30"], "DataError: --start '2020-02-30' is not a date; use YYYY-MM-DD, e.g. --start 2016-01-01"),
    (["run", "boj_hike_long_jpy", "--start", "2024-01-01", "--end", "2023-01-01"], "DataError: --start 2024-01-01 is after --end 2023-01-01; swap them"),
    (["run", "boj_hike_long_jpy", "--end", "1990-01-01"],
     "SourceError: USDJPY (ecb): no data between the start and 1990-01-01 (available: 1999-01-04 .. 2026-10-30); choose --start/--end inside that range"),
    (["events", "bj"], "CalendarError: unknown calendar 'bj' (did you mean boj?); choose one of boj, fomc, mof, elections"),
])
def test_user_errors_print_one_line_and_exit_1(tmp_path, args, line):
    result = invoke(*args, *(["--reports-dir", str(tmp_path / "r")] if args[0] == "run" else []))
    assert result.exit_code == 1
    assert result.stderr.strip() == line
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_usage_error_exits_2():
    assert invoke("run").exit_code == 2


def test_list_shows_each_strategy_with_its_claim():
    out = invoke("list").stdout
    assert "boj_hike_long_jpy" in out and "A BoJ rate hike makes the yen" in out


def test_events_boj_hikes_table():
    result = invoke("events", "boj", "--kind", "hike")
    assert result.exit_code == 0
    # The eight hikes since the new BoJ Act of 1998 (the bundled calendar's sources).
    for day in ("2000-08-11", "2006-07-14", "2007-02-21", "2024-03-19", "2024-07-31", "2025-01-24", "2025-12-19", "2026-06-16"):
        assert day in result.stdout
    assert "2016-03-15" not in result.stdout  # a hold
    assert "8 events" in result.stdout


def test_help_does_not_import_heavy_libraries():
    code = "import sys; from jpmacro_bt.cli import app; import jpmacro_bt.cli; print(sorted(m for m in ('vectorbt','quantstats','pandas','numba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    done = subprocess.run([sys.executable, "-m", "jpmacro_bt.cli", "--help"], capture_output=True, text=True, check=True)
    assert "run" in done.stdout and "list" in done.stdout


def test_run_writes_a_complete_report(tmp_path):
    result = invoke("run", "boj_hike_long_jpy", "--param", "hold_days=10", "--param", "stop=0.03",
                    "--start", "2016-01-01", "--end", "2026-06-30", "--fees", "0.0002", "--slippage", "0.0001",
                    "--reports-dir", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    (folder,) = tmp_path.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "metrics.json", "returns.csv", "tearsheet.html", "trades.csv"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["strategy"]["params"] == {"hold_days": 10, "stop": 0.03, "carry": True}
    assert manifest["settings"]["fees"] == 0.0002 and manifest["settings"]["slippage"] == 0.0001
    assert manifest["period"]["start"] == "2016-01-04" and manifest["period"]["end"] == "2026-06-30"
    assert "tearsheet.html" in result.stdout


def test_public_names_resolve_lazily():
    import jpmacro_bt

    for name in jpmacro_bt.__all__:
        assert getattr(jpmacro_bt, name) is not None


def test_events_can_show_their_sources():
    plain = invoke("events", "boj", "--kind", "hike").stdout
    sourced = invoke("events", "boj", "--kind", "hike", "--sources").stdout
    assert "japannews.yomiuri.co.jp" not in plain
    assert "japannews.yomiuri.co.jp" in sourced  # the 2025-12-19 hike's source


def test_identifiers_stay_whole_in_an_80_column_pipe(monkeypatch):
    # A user copies ids, symbols and time zones from these tables: none may be wrapped or cut with an ellipsis.
    monkeypatch.setenv("COLUMNS", "80")
    symbols = invoke("symbols")
    assert symbols.exit_code == 0 and "…" not in symbols.stdout
    for ident in ("TIC_JAPAN_UST", "17:00 America/New_York", "15:00 Asia/Tokyo", "fred:DEXJPUS", "yahoo:AUDJPY=X"):
        assert ident in symbols.stdout, ident
    listing = invoke("list")
    assert listing.exit_code == 0 and "…" not in listing.stdout
    for ident in ("correlation_to_one_risk_off", "tic_japan_dumps_treasuries", "TIC_JAPAN_UST", "NIKKEI225"):
        assert ident in listing.stdout, ident


def test_events_coverage_lists_the_periods_and_how_complete():
    # From the calendar's metadata: BoJ changes complete from the 1998 Act, every meeting from 2016.
    result = invoke("events", "boj", "--coverage")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("│ 1") or line.startswith("│ 2")]
    assert [line.split("│")[1:4] for line in lines[:1]] == [[" 1998-04-01 ", " 2015-12-31 ", " changes  "]]
    assert any("2016-01-01" in line and "meetings" in line for line in lines)
