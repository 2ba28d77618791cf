"""Hostile data: repeated, future or impossible rows, moves no market makes, unusable
SYMBOL.csv files, damaged cache sidecars. Each is a one-line error naming what is
wrong and the fix, through the CLI an exit code of 1 and no traceback."""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.errors import DataError, SourceError
from jpmacro_bt.sources.base import Bars, check_bars, parse_close
from jpmacro_bt.sources.cache import Cache
from jpmacro_bt.sources.resolve import import_csv, load_bars
from jpmacro_bt.symbols import get_symbol, max_daily_move, parse_max_move

runner = CliRunner(env={"COLUMNS": "400"})


def write(folder: Path, symbol: str, rows: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{symbol}.csv"
    path.write_text("date,close\n" + rows)
    return path


def one_line_error(result, kind: str) -> str:
    """The CLI's error line, after checking the exit code and that no traceback was printed."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"{kind}: "), result.stderr
    return result.stderr.strip()


# ---------------------------------------------------------------- repeated and future dates


def test_a_repeated_date_is_refused_naming_it(tmp_path):
    path = write(tmp_path / "m", "USDJPY", "2024-08-01,149.4\n2024-08-02,146.5\n2024-08-05,141.7\n2024-08-05,157.3\n")
    line = one_line_error(runner.invoke(app, ["data", "show", "USDJPY", "--data-dir", str(path.parent)]), "SourceError")
    assert line == (
        f"SourceError: csv:{path}: date 2024-08-05 appears 2 times (closes 141.7, 157.3); "
        "keep one row per date (delete the wrong one)"
    )


def test_rows_dated_after_today_stop_a_run(tmp_path):
    path = write(tmp_path / "m", "USDJPY", "2024-08-01,149.4\n2024-08-02,146.5\n2030-06-03,141.7\n2030-06-04,142.0\n")
    result = runner.invoke(app, ["run", "boj_hike_long_jpy", "--data-dir", str(path.parent), "--reports-dir", str(tmp_path / "r")])
    line = one_line_error(result, "DataError")
    today = datetime.now(UTC).date()  # USDJPY closes in New York, behind UTC: today is the UTC date
    assert line.splitlines()[1] == (
        f"  USDJPY: USDJPY ({path}): 2 rows are dated after today ({today}), the first 2030-06-03; "
        "a bar exists only once its day has begun: delete those rows from the file"
    )
    assert not (tmp_path / "r").exists()


def test_today_is_the_later_of_utc_and_the_bar_zone():
    sym = get_symbol("NIKKEI225")  # closes 15:00 Asia/Tokyo, 9 hours ahead of UTC
    frame = pd.DataFrame({"close": [38000.0, 38100.0]}, index=pd.DatetimeIndex(["2026-07-01", "2026-07-02"], name="date"))
    bars = Bars(frame, "csv", "NIKKEI225", sym.close, "N.csv")
    # 2026-07-01 20:00 UTC is 2026-07-02 05:00 in Tokyo: a bar dated 07-02 may exist (the day has begun there).
    assert check_bars(bars, sym, now=datetime(2026, 7, 1, 20, 0, tzinfo=UTC)) is bars
    with pytest.raises(SourceError, match=r"1 row is dated after today \(2026-07-01\), the first 2026-07-02"):
        check_bars(bars, sym, now=datetime(2026, 7, 1, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo, still 07-01


# ---------------------------------------------------------------- values no price or yield can take


@pytest.mark.parametrize(
    ("cell", "shown"),
    [("1e308", "1e+308"), ("inf", "inf"), ("-inf", "-inf"), ("2e9", "2e+09")],
)
def test_a_close_no_price_can_take_is_refused(tmp_path, cell, shown):
    path = write(tmp_path / "m", "USDJPY", f"2024-08-01,149.4\n2024-08-02,{cell}\n2024-08-05,141.7\n")
    with pytest.raises(SourceError) as caught:
        load_bars("USDJPY", data_dir=path.parent)
    assert str(caught.value) == (
        f"USDJPY ({path}): close {shown} on 2024-08-02: 1 close lies outside 0 .. 1e+09, "
        "where no price can be: correct that row in the file"
    )


def test_a_price_at_or_below_zero_is_refused_but_wti_may_close_negative(tmp_path):
    path = write(tmp_path / "m", "TLT", "2024-08-01,4.1\n2024-08-02,-0.2\n2024-08-05,0\n")
    with pytest.raises(SourceError) as caught:
        load_bars("TLT", data_dir=path.parent)
    assert str(caught.value) == (
        f"TLT ({path}): close -0.2 on 2024-08-02: 2 of 3 closes lie at or below zero, and a price must be positive; "
        "is it a yield or a change rather than a price? correct that row in the file"
    )
    # WTI settled at -36.98 on 2020-04-20 (FRED DCOILWTICO); moves next to it are not measured.
    write(tmp_path / "m", "WTI", "2020-04-17,18.27\n2020-04-20,-36.98\n2020-04-21,8.91\n2020-04-22,13.64\n")
    assert load_bars("WTI", data_dir=tmp_path / "m").frame["close"].tolist() == [18.27, -36.98, 8.91, 13.64]


def test_a_price_file_saved_as_a_yield_is_named(tmp_path):
    # UST10Y.csv holding 10-year note prices near 110, not the yield in percent.
    path = write(tmp_path / "m", "UST10Y", "2024-08-01,112.5\n2024-08-02,113.0\n2024-08-05,4.1\n")
    line = one_line_error(runner.invoke(app, ["data", "fetch", "UST10Y", "--data-dir", str(path.parent)]), "DataError")
    assert line.splitlines()[1] == (
        f"  UST10Y: UST10Y ({path}): close 112.5 on 2024-08-01: 2 of 3 closes lie outside -5 .. 25, where a yield in "
        "percent lies; UST10Y is a yield: is this a price file (a bond or ETF price) or another unit? "
        "save yields in percent (4.25 for 4.25 %) in the file"
    )
    assert Cache().entries() == []  # nothing imported


# ---------------------------------------------------------------- moves no market makes


def test_a_move_beyond_the_bound_names_symbol_date_and_move(tmp_path):
    # A decimal slip: 146.5 -> 14.65 is -90.0 %, a factor 10; fx moves at most a factor 1.5 a day.
    path = write(tmp_path / "m", "USDJPY", "2024-08-01,149.4\n2024-08-02,146.5\n2024-08-05,14.65\n2024-08-06,144.7\n")
    line = one_line_error(runner.invoke(app, ["data", "show", "USDJPY", "--data-dir", str(path.parent)]), "SourceError")
    assert line == (
        f"SourceError: USDJPY ({path}): close moves -90.0% from 146.5 on 2024-08-02 to 14.65 on 2024-08-05, beyond "
        "the +50%/-33% a day that fx prices move; if the data are wrong, correct that row in the file; if the move "
        "is real, allow it with --max-move USDJPY=9 (or JPMACRO_MAX_MOVE=USDJPY=9)"
    )


def test_a_yield_move_is_measured_in_points(tmp_path):
    # 4.25 -> 0.425: -3.825 points, beyond 2 points a day; the smallest bound that admits it, rounded up, is 3.83.
    path = write(tmp_path / "m", "UST10Y", "2024-08-01,4.25\n2024-08-02,0.425\n")
    with pytest.raises(SourceError, match=r"close moves -3\.83 points from 4\.25 on 2024-08-01 to 0\.425 on 2024-08-02, "
                       r"beyond the 2 points a day that yields move; .* --max-move UST10Y=3\.83 "):
        load_bars("UST10Y", data_dir=path.parent)


def test_the_bound_grows_with_the_square_root_of_a_gap(tmp_path):
    # 100 -> 160 is log(1.6) = 0.47 > log(1.5) = 0.405 in one business day, but within
    # sqrt(4) * 0.405 = 0.81 over four (Monday 2024-08-05 to Friday 2024-08-09).
    write(tmp_path / "a", "USDJPY", "2024-08-05,100\n2024-08-06,160\n")
    write(tmp_path / "b", "USDJPY", "2024-08-05,100\n2024-08-09,160\n")
    with pytest.raises(SourceError, match=r"moves \+60\.0% from 100 on 2024-08-05 to 160 on 2024-08-06, beyond"):
        load_bars("USDJPY", data_dir=tmp_path / "a")
    assert len(load_bars("USDJPY", data_dir=tmp_path / "b").frame) == 2


def test_a_real_move_is_allowed_by_parameter_or_environment(tmp_path, monkeypatch):
    write(tmp_path / "m", "USDJPY", "2024-08-05,100\n2024-08-06,160\n")
    assert len(load_bars("USDJPY", data_dir=tmp_path / "m", max_move={"USDJPY": 0.6}).frame) == 2
    assert len(load_bars("USDJPY", data_dir=tmp_path / "m", max_move={"fx": math.inf}).frame) == 2
    monkeypatch.setenv("JPMACRO_MAX_MOVE", "USDJPY=0.6")
    assert len(load_bars("USDJPY", data_dir=tmp_path / "m").frame) == 2
    # The parameter wins over the environment, key by key.
    with pytest.raises(SourceError, match="beyond the"):
        load_bars("USDJPY", data_dir=tmp_path / "m", max_move={"USDJPY": 0.5})
    monkeypatch.setenv("JPMACRO_MAX_MOVE", "USDJPY=lots")
    result = runner.invoke(app, ["data", "show", "USDJPY", "--data-dir", str(tmp_path / "m")])
    assert one_line_error(result, "DataError") == (
        "DataError: JPMACRO_MAX_MOVE 'USDJPY=lots': the bound must be a number above 0 or off; write KEY=BOUND, "
        "e.g. JPMACRO_MAX_MOVE=USDJPY=0.6 (a factor 1.6 either way), yield=3 (points) or WTI=off"
    )


def test_max_move_keys_and_values():
    assert parse_max_move(["USDJPY=0.6, yield=3", "WTI=off"]) == {"USDJPY": 0.6, "yield": 3.0, "WTI": math.inf}
    assert max_daily_move(get_symbol("SPX")) == 0.4
    assert max_daily_move(get_symbol("SPX"), {"equity": 0.7}) == 0.7
    assert max_daily_move(get_symbol("SPX"), {"equity": 0.7, "SPX": 0.9}) == 0.9
    assert max_daily_move(get_symbol("JGB10Y"), {"rates": 0.7}) == 2.0  # a yield takes "yield", not its class
    assert max_daily_move(get_symbol("TIC_JAPAN_UST")) is None  # monthly holdings: not checked
    with pytest.raises(DataError, match=r"^--max-move 'SPXX=1': 'SPXX' is neither a symbol nor one of .* \(did you mean SPX\?\)"):
        parse_max_move("SPXX=1")
    for bad in ("USDJPY", "=1", "USDJPY=0", "USDJPY=-1", "USDJPY=nan"):
        with pytest.raises(DataError, match=r"^--max-move "):
            parse_max_move(bad)


def test_the_bundled_ecb_history_passes_and_its_largest_move_is_the_lira(monkeypatch):
    # The ECB fixes of TRYJPY: 6.385144 on 2021-12-20, 8.729576 on 2021-12-21, +36.7 %, the largest
    # daily move of any bundled cross; within the fx bound of +50 %, beyond a bound of +30 %.
    assert len(load_bars("TRYJPY", offline=True).frame) > 4000
    with pytest.raises(SourceError, match=r"^TRYJPY \(ecb:TRYJPY\): close moves \+36\.7% from 6\.38514 on 2021-12-20 to 8\.72958 on 2021-12-21"):
        load_bars("TRYJPY", offline=True, max_move={"fx": 0.3})


# ---------------------------------------------------------------- an unusable SYMBOL.csv is an error


def _make(kind: str, path: Path) -> str:
    if kind == "folder":
        path.mkdir()
        return "is a folder, not a file; replace it with a CSV file (date,close) or remove it"
    if kind == "fifo":
        os.mkfifo(path)
        return "is a named pipe (FIFO), not a file; replace it with a CSV file (date,close) or remove it"
    if kind == "loop":
        path.symlink_to(path.name)
        return "is a symbolic link that loops; replace it with the CSV file itself or remove it"
    path.symlink_to(path.parent / "gone.csv")
    return f"is a link to {path.parent / 'gone.csv'}, which does not exist; replace it with the CSV file itself or remove it"


@pytest.mark.parametrize("kind", ["folder", "fifo", "loop", "dangling"])
def test_an_unusable_symbol_csv_is_an_error_never_a_fallback(tmp_path, kind):
    # USDJPY has the bundled ECB history: before, each of these fell through to it and succeeded.
    folder = tmp_path / "m"
    folder.mkdir()
    path = folder / "USDJPY.csv"
    reason = _make(kind, path)
    line = one_line_error(runner.invoke(app, ["data", "show", "USDJPY", "--data-dir", str(folder)]), "SourceError")
    assert line == f"SourceError: csv: {path} {reason}"


def test_an_unreadable_symbol_csv_is_named(tmp_path, monkeypatch):
    path = write(tmp_path / "m", "USDJPY", "2024-08-01,149.4\n")
    real_open = os.open

    def denied(file, flags, *args, **kwargs):  # chmod 000 does not stop root, so refuse here
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(SourceError) as caught:
        load_bars("USDJPY", data_dir=path.parent)
    assert str(caught.value) == f"csv: cannot read {path} (permission denied); make it readable (chmod u+r) or remove it"


def test_a_missing_data_dir_is_an_error_not_ignored(tmp_path):
    line = one_line_error(runner.invoke(app, ["data", "show", "USDJPY", "--data-dir", str(tmp_path / "markt")]), "SourceError")
    assert line == f"SourceError: csv: data dir {tmp_path / 'markt'} does not exist; pass an existing folder to --data-dir"


# ---------------------------------------------------------------- damaged cache sidecars


def jgb10y() -> Bars:
    # JGB 10-year yields typed from the MoF file (R8.6.24 .. R8.6.30 = 2026-06-24 .. 30).
    rows = {"2026-06-24": 2.674, "2026-06-25": 2.637, "2026-06-26": 2.611, "2026-06-29": 2.644, "2026-06-30": 2.69}
    frame = pd.DataFrame({"close": list(rows.values())}, index=pd.DatetimeIndex(list(rows), name="date"))
    return Bars(frame, "mof", "10", "15:00 Asia/Tokyo", "https://www.mof.go.jp/x.csv")


class Mof:
    """A MoF source that serves the five bars above and counts the downloads."""

    def __init__(self):
        self.calls = 0

    def load(self, upstream_id, *, close, start=None):
        self.calls += 1
        return jgb10y()


DAMAGE = [
    ("close", "15:00 Asia/Tokio", "bar close '15:00 Asia/Tokio' names no known time zone ('Asia/Tokio')"),
    ("close", "3pm Tokyo", "bar close '3pm Tokyo' is not 'HH:MM Zone' (e.g. '15:00 Asia/Tokyo')"),
    ("fetched_at", "yesterday", "fetched_at is 'yesterday', not an ISO time"),
    ("fetched_at", "2999-01-01T00:00:00+00:00", "fetched_at '2999-01-01T00:00:00+00:00' is in the future"),
    ("rows", "5", "rows is '5', not a count of rows"),
    ("rows", True, "rows is True, not a count of rows"),
    ("sha256", 5, "sha256 is 5, not text"),
    ("start", "24/06/2026", "start is '24/06/2026', not a YYYY-MM-DD date"),
    ("upstream_id", "30", "it records mof:30, not mof:10"),
    ("format", 99, "format 99, this version writes 1"),
]


@pytest.mark.parametrize(("field", "value", "problem"), DAMAGE)
def test_a_sidecar_with_bad_fields_is_a_corrupt_entry(field, value, problem):
    cache = Cache()
    data_path = cache.put(jgb10y(), "JGB10Y")
    sidecar = data_path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps(meta | {field: value}))
    expected = (
        f"cache: {sidecar} is damaged ({problem}); delete it and fetch again (`jpmacro-bt data fetch JGB10Y`)"
    )
    with pytest.raises(SourceError) as caught:
        cache.get("mof", "10")
    assert str(caught.value) == expected
    # Offline: the same error, through the CLI, one line and exit 1.
    line = one_line_error(runner.invoke(app, ["data", "show", "JGB10Y"]), "SourceError")
    assert line == f"SourceError: {expected}"
    # `data list` shows the entry as an error row and does not fail.
    listed = runner.invoke(app, ["data", "list"])
    assert listed.exit_code == 0, listed.output
    assert "is damaged" in listed.stdout and "Traceback" not in listed.output
    # Online: fetched again, like a bad checksum, and the sidecar is whole again.
    mof = Mof()
    bars = load_bars("JGB10Y", fetchers={"mof": mof})
    assert mof.calls == 1 and bars.frame["close"].tolist() == [2.674, 2.637, 2.611, 2.644, 2.69]
    assert Cache().get("mof", "10").sha256 == bars.sha256


def test_a_sidecar_that_is_not_an_object_is_corrupt():
    cache = Cache()
    sidecar = cache.put(jgb10y(), "JGB10Y").with_suffix(".json")
    sidecar.write_text("[1, 2]")
    with pytest.raises(SourceError, match=r"is damaged \(a JSON list, not an object\); delete it and fetch again"):
        cache.get("mof", "10")


def test_a_damaged_import_says_to_import_again(tmp_path):
    write(tmp_path / "m", "UST10Y", "2024-08-01,4.25\n2024-08-02,4.21\n")
    import_csv("UST10Y", tmp_path / "m")
    sidecar = Cache().paths("csv", "UST10Y")[1]
    sidecar.write_text(json.dumps(json.loads(sidecar.read_text()) | {"close": "16:00 America/New_Yrok"}))
    with pytest.raises(SourceError, match=r"delete it and import the file again \(`jpmacro-bt data fetch UST10Y --data-dir DIR`\)$"):
        load_bars("UST10Y")


def test_parse_close_accepts_what_the_symbols_use():
    assert parse_close("15:00 Asia/Tokyo") == (15, 0, "Asia/Tokyo")
    assert parse_close("24:00 UTC") == (24, 0, "UTC")
    for bad in ("24:30 UTC", "15:60 Asia/Tokyo", "15:00", 1500, "15:00 ../../etc/passwd"):
        with pytest.raises(ValueError, match="bar close"):
            parse_close(bad)
