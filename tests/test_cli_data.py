"""`jpmacro-bt data ...` and offline runs, against a temporary cache and hand-made files."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.sources.resolve import load_bars

runner = CliRunner(env={"COLUMNS": "250"})
FIXTURE = Path(__file__).parent / "data" / "sources" / "ust10y_date_close.csv"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "market"
    folder.mkdir()
    shutil.copy(FIXTURE, folder / "UST10Y.csv")
    return folder


def test_import_then_list_show_and_clear(tmp_path):
    folder = _folder(tmp_path)
    rows = len(FIXTURE.read_text().strip().splitlines()) - 1  # minus the header
    done = runner.invoke(app, ["data", "fetch", "UST10Y", "--data-dir", str(folder)])
    assert done.exit_code == 0, done.stderr
    assert f"UST10Y: {rows} rows" in done.stdout
    listed = runner.invoke(app, ["data", "list"]).stdout
    assert "UST10Y" in listed and "csv" in listed
    # The import is used without --data-dir, offline, even after the folder is gone.
    shutil.rmtree(folder)
    assert load_bars("UST10Y", offline=True).source == "csv"
    shown = runner.invoke(app, ["data", "show", "UST10Y"])
    assert shown.exit_code == 0 and f"{rows} rows" in shown.stdout
    assert "removed 1 cache entry" in runner.invoke(app, ["data", "clear", "UST10Y"]).stdout
    assert runner.invoke(app, ["data", "show", "UST10Y"]).exit_code == 1


def test_fetch_of_a_missing_file_names_it(tmp_path):
    folder = _folder(tmp_path)
    done = runner.invoke(app, ["data", "fetch", "UST10Y", "JGB30Y", "--data-dir", str(folder)])
    assert done.exit_code == 1
    assert done.stderr.startswith("DataError: could not fetch 1 of 2 symbols:\n  JGB30Y: ")
    assert "UST10Y: " in done.stdout


def test_offline_run_without_cache_lists_each_missing_symbol(tmp_path):
    done = runner.invoke(app, ["run", "carry_unwind_short_risk", "--offline", "--reports-dir", str(tmp_path / "r")])
    assert done.exit_code == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "DataError: could not load 1 of 2 symbols:"
    assert lines[1] == (
        "  NIKKEI225: no cached data for NIKKEI225 (sources tried: yahoo, fred); "
        "run `jpmacro-bt data fetch NIKKEI225` with network or pass --data-dir DIR"
    )
    assert not (tmp_path / "r").exists()


def test_the_suite_cannot_reach_the_network():
    import socket

    import pytest

    with pytest.raises(OSError, match="tests must not touch the network"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
