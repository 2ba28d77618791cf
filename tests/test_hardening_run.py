"""Hostile inputs to `run`, `list` and `sweep`: each a one-line error with exit 1, or a correct result.

Concurrent identical runs, strategy ids that are paths, options that are not numbers, disks that are
full or read-only, strategy code that fails, writers killed mid-write, and progress on a pipe.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from jpmacro_bt import files
from jpmacro_bt.catalog import default_strategies_dir, find
from jpmacro_bt.cli import app
from jpmacro_bt.cli.sweep import ProgressLines, duration
from jpmacro_bt.engine.run import RunSettings, run_strategy
from jpmacro_bt.errors import ReportError
from jpmacro_bt.reports.runfolder import write_run
from jpmacro_bt.research import ledger

runner = CliRunner(env={"COLUMNS": "1000"})  # wide: table cells never wrap, so a message is one substring

RUN_FILES = ["manifest.json", "metrics.json", "returns.csv", "tearsheet.html", "trades.csv"]


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def strict_json(text: str):
    """Parse JSON as the standard defines it: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def strategy_file(folder: Path, name: str, body: str, *, claim: str = "test", head: str = "") -> Path:
    """A USDJPY strategy ``name`` whose ``signals()`` body is ``body`` (the bundled ECB data: offline)."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.py"
    lines = [
        '"""A test strategy."""',
        "from dataclasses import dataclass",
        "",
        "import pandas as pd",
        "",
        "from jpmacro_bt.strategy import Signals, Strategy, param",
        "",
        "",
        "@dataclass(frozen=True)",
        "class S(Strategy):",
        f"    claim = {claim!r}",
        '    symbols = ("USDJPY",)',
        *(f"    {line}" for line in head.splitlines()),
        "",
        "    def signals(self, data, events):",
        '        close = data.close("USDJPY")',
        *(f"        {line}" for line in body.splitlines()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` holding ``text``."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture(scope="module")
def result():
    spec = find("boj_hike_long_jpy")
    return run_strategy(spec, spec.build(), RunSettings(start=date(2024, 1, 1), end=date(2024, 12, 31)))


# --- identical runs at once ----------------------------------------------------------------


def test_four_identical_runs_at_once_each_get_their_folder_and_their_trial(tmp_path):
    reports = tmp_path / "reports"
    # One year keeps four processes on a small machine well inside a minute; the writes are those of any run.
    command = [sys.executable, "-m", "jpmacro_bt.cli", "run", "boj_hike_long_jpy", "--start", "2024-01-01", "--end", "2024-12-31", "--reports-dir", str(reports)]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    folders = sorted(p for p in reports.iterdir())
    assert len(folders) == 4 and not [p for p in folders if p.name.startswith(".")]
    reported = sorted(re.search(r"report: (.+)/tearsheet\.html", out).group(1) for out, _ in outputs)
    assert reported == sorted(str(p) for p in folders)  # each process names the folder it wrote
    for folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == RUN_FILES
        assert strict_json((folder / "manifest.json").read_text())["run_id"] == folder.name
    rows = ledger.read("boj_hike_long_jpy")
    assert sorted(r["source_id"] for r in rows) == sorted(p.name for p in folders)


def test_a_taken_run_id_gets_a_suffix_and_the_manifest_names_it(tmp_path, result):
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    first = write_run(result, tmp_path, tearsheet=False, now=now)
    second = write_run(result, tmp_path, tearsheet=False, now=now)
    third = write_run(result, tmp_path, tearsheet=False, now=now)
    assert first.name.startswith("boj_hike_long_jpy-20260102-030405-")
    assert (second.name, third.name) == (f"{first.name}-2", f"{first.name}-3")
    for folder in (first, second, third):
        assert strict_json((folder / "manifest.json").read_text())["run_id"] == folder.name
    # Same run, same numbers: only the manifest's name differs.
    assert (first / "metrics.json").read_bytes() == (third / "metrics.json").read_bytes()


def test_a_folder_that_appears_during_the_write_is_never_overwritten(tmp_path, monkeypatch):
    # Another writer finishes first, between this writer's check and its rename.
    final = tmp_path / "run-20260101-000000-abcdef"
    rename = os.rename

    def racing(src, dst):
        if Path(dst) == final and not final.exists():
            final.mkdir()
            (final / "theirs.txt").write_text("the other writer's")
        return rename(src, dst)

    monkeypatch.setattr(os, "rename", racing)
    renamed = []
    target = files.atomic_folder(final, unique=True, renamed=lambda folder, name: renamed.append(name))
    with target as tmp:
        (tmp / "mine.txt").write_text("mine")
    assert target.final == tmp_path / "run-20260101-000000-abcdef-2" and renamed == ["run-20260101-000000-abcdef-2"]
    assert (final / "theirs.txt").read_text() == "the other writer's"
    assert (target.final / "mine.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [final.name, target.final.name]


# --- a strategy id is a name in the strategies folder ---------------------------------------


@pytest.fixture
def planted(tmp_path):
    """``evil.py`` outside the strategies folder, which would leave a marker if it ever ran."""
    marker = tmp_path / "executed"
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "evil.py").write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    return folder / "evil", marker


@pytest.mark.parametrize("how", ["relative", "absolute", "file name"])
def test_a_path_is_not_a_strategy_id_and_nothing_runs(tmp_path, planted, how):
    evil, marker = planted
    given = {
        "relative": os.path.relpath(evil, default_strategies_dir()),
        "absolute": str(evil),
        "file name": f"{evil}.py",
    }[how]
    assert given.startswith("..") or how != "relative"
    for command in ("run", "sweep"):
        out = invoke(command, given, "--reports-dir", str(tmp_path / "r"))
        assert out.exit_code == 1
        assert out.stderr.strip() == (
            f"StrategyError: strategy id {given!r} is not a name in the strategies folder; "
            "give a file name without .py (`jpmacro-bt list` shows them), and --strategies DIR for another folder"
        )
        assert not marker.exists()
    assert not (tmp_path / "r").exists()


def test_a_file_name_with_py_suggests_the_id(tmp_path):
    out = invoke("run", "boj_hike_long_jpy.py", "--reports-dir", str(tmp_path))
    assert out.exit_code == 1 and "not a name in the strategies folder (did you mean boj_hike_long_jpy?)" in out.stderr


# --- options that are not usable numbers ----------------------------------------------------


@pytest.mark.parametrize(("option", "line"), [
    (["--init-cash", "-1"], "StrategyError: --init-cash -1 is not a positive amount of money; e.g. --init-cash 100000"),
    (["--init-cash", "0"], "StrategyError: --init-cash 0 is not a positive amount of money; e.g. --init-cash 100000"),
    (["--init-cash", "nan"], "StrategyError: --init-cash nan is not a positive amount of money; e.g. --init-cash 100000"),
    (["--init-cash", "inf"], "StrategyError: --init-cash inf is not a positive amount of money; e.g. --init-cash 100000"),
    (["--size", "nan"], "StrategyError: --size nan is out of range: use a fraction of equity above 0 and at most 10, e.g. --size 1"),
    (["--size", "0"], "StrategyError: --size 0 is out of range: use a fraction of equity above 0 and at most 10, e.g. --size 1"),
    (["--fees", "-0.001"], "StrategyError: --fees -0.001 is out of range: use a fraction from 0 to below 0.1, e.g. --fees 0.0002 for 2 bp"),
    (["--slippage", "inf"], "StrategyError: --slippage inf is out of range: use a fraction from 0 to below 0.1, e.g. --slippage 0.0001 for 1 bp"),
    (["--borrow", "nan"], "StrategyError: --borrow nan is out of range: use a fraction from 0 to below 1, e.g. --borrow 0.005 for 0.5 % a year"),
])
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_bad_money_options_are_refused_before_any_code_runs(tmp_path, planted, option, line, command):
    # `evil` stands in for a strategy: it would leave its marker if it were loaded, so the options were checked first.
    evil, marker = planted
    out = invoke(command, "evil", "--strategies", str(evil.parent), *option, "--reports-dir", str(tmp_path / "r"))
    assert out.exit_code == 1
    assert out.stderr.strip() == line
    assert not marker.exists() and not (tmp_path / "r").exists()


@pytest.mark.parametrize(("args", "line"), [
    (["run", "boj_hike_long_jpy", "--param", "stop=nan"],
     "StrategyError: parameter stop='nan' is not a finite number for boj_hike_long_jpy; e.g. --param stop=<float>"),
    (["run", "boj_hike_long_jpy", "--param", "stop=-inf"],
     "StrategyError: parameter stop='-inf' is not a finite number for boj_hike_long_jpy; e.g. --param stop=<float>"),
    (["sweep", "boj_hike_long_jpy", "--grid", "stop=nan,0.01"],
     "StrategyError: parameter stop='nan' is not a finite number for boj_hike_long_jpy; e.g. --param stop=<float>"),
    (["sweep", "boj_hike_long_jpy", "--grid", "stop=0.01:inf:0.01"],
     "StrategyError: parameter stop='inf' is not a finite number for boj_hike_long_jpy; e.g. --param stop=<float>"),
])
def test_nan_parameters_are_refused(tmp_path, args, line):
    out = invoke(*args, "--reports-dir", str(tmp_path / "r"))
    assert out.exit_code == 1
    assert out.stderr.strip() == line
    assert not (tmp_path / "r").exists()


def test_a_nan_parameter_from_python_is_refused_too():
    from jpmacro_bt.errors import StrategyError

    with pytest.raises(StrategyError, match=r"parameter stop=nan is not a finite number for boj_hike_long_jpy"):
        find("boj_hike_long_jpy").build({"stop": float("nan")})


def test_json_never_holds_a_bare_nan(tmp_path, result):
    assert files.json_text({"a": float("nan"), "b": [np.float64("inf"), np.float32(1.5)], "c": (np.int64(3), None)}, indent=None) == (
        '{"a": null, "b": [null, 1.5], "c": [3, null]}'
    )
    # A metric that is undefined (NaN) in a run folder: written as null, in files any JSON reader accepts.
    metrics = {**result.metrics, "strategy": {**result.metrics["strategy"], "sharpe": float("nan"), "sortino": float("-inf")}}
    folder = write_run(replace(result, metrics=metrics), tmp_path, tearsheet=False)
    written = strict_json((folder / "metrics.json").read_text())
    assert written["strategy"]["sharpe"] is None and written["strategy"]["sortino"] is None
    assert written["strategy"]["cagr"] == pytest.approx(result.metrics["strategy"]["cagr"])
    strict_json((folder / "manifest.json").read_text())


# --- disks that are full or read-only --------------------------------------------------------


@pytest.mark.parametrize(("code", "reason", "fix"), [
    (errno.ENOSPC, "No space left on device", "free space on that disk, or pass another --reports-dir"),
    (errno.EROFS, "Read-only file system", "make {reports} writable, or pass another --reports-dir"),
])
def test_a_write_failure_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, code, reason, fix):
    import jpmacro_bt.reports.runfolder as runfolder

    def failing(path, text):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(runfolder, "write_text", failing)
    reports = tmp_path / "reports"
    out = invoke("run", "boj_hike_long_jpy", "--start", "2024-01-01", "--end", "2024-12-31", "--reports-dir", str(reports))
    assert out.exit_code == 1
    assert "Traceback" not in out.output
    assert re.fullmatch(
        rf"ReportError: cannot write run folder {re.escape(str(reports))}/boj_hike_long_jpy-\d{{8}}-\d{{6}}-[0-9a-f]{{6}}: "
        rf"{re.escape(reason)}; {re.escape(fix.format(reports=reports))}",
        out.stderr.strip(),
    ), out.stderr
    assert list(reports.iterdir()) == []  # neither a folder nor a hidden temporary one
    assert ledger.read() == []  # and no trial without its folder


def test_a_full_disk_anywhere_is_one_line(tmp_path, monkeypatch):
    # e.g. numba writing its compile cache while the backtest runs
    import jpmacro_bt.engine.run as engine_run

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/cache/numba/simulate.nbi")

    monkeypatch.setattr(engine_run, "run_strategy", full)
    out = invoke("run", "boj_hike_long_jpy", "--reports-dir", str(tmp_path))
    assert out.exit_code == 1
    assert out.stderr.strip() == (
        "ReportError: cannot write /cache/numba/simulate.nbi: No space left on device; "
        "free space on that disk, or write elsewhere (--reports-dir, JPMACRO_CACHE_DIR)"
    )


def test_an_unwritable_reports_parent_is_one_line(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    out = invoke("run", "boj_hike_long_jpy", "--start", "2024-01-01", "--end", "2024-12-31", "--reports-dir", str(tmp_path / "file" / "reports"))
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert re.fullmatch(rf"ReportError: cannot write run folder {re.escape(str(tmp_path))}/file/reports/boj_hike_long_jpy-\S+: Not a directory; "
                        r"pass another --reports-dir", out.stderr.strip()), out.stderr


def test_a_ledger_that_cannot_be_written_is_found_before_the_folder(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("JPMACRO_CACHE_DIR", str(tmp_path / "file" / "cache"))
    out = invoke("run", "boj_hike_long_jpy", "--start", "2024-01-01", "--end", "2024-12-31", "--reports-dir", str(tmp_path / "r"))
    assert out.exit_code == 1
    assert out.stderr.strip() == (
        f"ReportError: trial ledger {tmp_path}/file/cache/ledger.sqlite3 cannot be opened "
        f"([Errno 20] Not a directory: '{tmp_path}/file/cache'); point JPMACRO_CACHE_DIR at a folder that can be created and written"
    )
    assert not (tmp_path / "r").exists()


def test_a_folder_whose_trial_could_not_be_recorded_is_removed(tmp_path, monkeypatch, result):
    from jpmacro_bt.reports.runfolder import save_run

    def full(trials, path=None):
        raise ReportError("trial ledger L cannot be written (database or disk is full); free space on that disk")

    monkeypatch.setattr(ledger, "record", full)
    with pytest.raises(ReportError, match=r"disk is full.*\(the run folder boj_hike_long_jpy-\S+ was removed, as it is not counted; run again once fixed\)$"):
        save_run(result, tmp_path, tearsheet=False)
    assert list(tmp_path.iterdir()) == []


# --- strategy code that fails --------------------------------------------------------------


def test_list_shows_the_strategies_that_load_and_marks_the_broken_one(tmp_path):
    folder = tmp_path / "strategies"
    strategy_file(folder, "good", "return Signals(close=close, entries=close > 0, exits=close < 0)", claim="[/] closes [bold]nothing")
    broken = folder / "broken.py"
    broken.write_text('"""Broken."""\nfrom dataclasses import dataclass\n\nclass (:\n')
    (folder / "bad-name.py").write_text("")
    out = invoke("list", "--strategies", str(folder))
    assert out.exit_code == 0, out.output
    assert "[/] closes [bold]nothing" in out.stdout  # a claim is text, never markup
    assert f"does not load: {broken}:4: syntax error in strategy broken: invalid syntax; fix the file" in out.stdout
    assert (f"does not load: {folder / 'bad-name.py'}: 'bad-name' is not a strategy id (letters, digits and _, not starting with a digit); "
            "rename it bad_name.py") in out.stdout
    assert [line.split()[1] for line in out.stdout.splitlines() if line.startswith("│")] == ["bad-name", "broken", "good"]


@pytest.mark.parametrize(("name", "body", "message"), [
    ("raises", "return Signals(close=close, entries=close / 0 > {}['x'], exits=close < 0)",
     "{path}:{line}: signals() of raises raised KeyError: 'x'; fix the strategy"),
    ("returns_none", "close.sum()",
     "{path}:{def_line}: signals() of returns_none returned NoneType, not Signals; end it with `return Signals(close=..., entries=..., exits=...)`"),
    ("string_weights", 'return Signals(close=close, target_weights=pd.Series("0.5", index=close.index, dtype=object))',
     "{path}:{def_line}: signals() of string_weights: target_weights holds object values (e.g. '0.5' on 1999-01-04), not numbers; "
     "convert it, e.g. with .astype(float) or .astype(bool)"),
    ("list_close", "return Signals(close=list(close), entries=close > 0, exits=close < 0)",
     "{path}:{line}: signals() of list_close: signals: entries is not indexed like close"),
])
def test_failing_strategy_code_is_one_line_naming_file_and_line(tmp_path, name, body, message):
    folder = tmp_path / "strategies"
    path = strategy_file(folder, name, body)
    out = invoke("run", name, "--strategies", str(folder), "--reports-dir", str(tmp_path / "r"))
    assert out.exit_code == 1
    assert "Traceback" not in out.output
    expected = message.format(path=path, line=line_of(path, body.split("(")[0].strip() or body), def_line=line_of(path, "def signals"))
    assert out.stderr.strip() == f"StrategyError: {expected}"
    assert not (tmp_path / "r").exists()


def test_an_error_inside_a_library_names_the_strategy_line_and_where_it_arose(tmp_path):
    folder = tmp_path / "strategies"
    path = strategy_file(folder, "library", "return Signals(close=close, entries=close.rolling('x').mean() > 0, exits=close < 0)")
    out = invoke("run", "library", "--strategies", str(folder), "--reports-dir", str(tmp_path / "r"))
    assert out.exit_code == 1 and "Traceback" not in out.output
    line = line_of(path, "rolling('x')")
    assert re.fullmatch(rf"StrategyError: {re.escape(str(path))}:{line}: signals\(\) of library raised ValueError: .+ "
                        r"\(at \S+/pandas/\S+\.py:\d+\); fix the strategy", out.stderr.strip()), out.stderr


def test_markup_in_strategy_text_prints_literally_in_run(tmp_path):
    folder = tmp_path / "strategies"
    strategy_file(
        folder, "markup", "return Signals(close=close, entries=close.pct_change() > 0.01, exits=close.pct_change() < -0.01)", claim="[/] not [bold]markup",
        head='note: str = param("[/]x[red]")\n\n@property\ndef benchmark_name(self):\n    return "[bold]cash[/]"\n',
    )
    out = invoke("run", "markup", "--strategies", str(folder), "--reports-dir", str(tmp_path / "r"))
    assert out.exit_code == 0, out.output
    assert "markup (note=[/]x[red], fees=" in out.stdout
    assert "benchmark: [bold]cash[/]" in out.stdout


# --- a writer killed mid-write ---------------------------------------------------------------

STALL = textwrap.dedent('''
    import sys, time
    from pathlib import Path

    import jpmacro_bt.reports.tearsheet as tearsheet


    def stall(path, *args, **kwargs):
        Path(path).write_text("<html>half written")
        Path(sys.argv[1]).write_text("writing")
        time.sleep(600)


    tearsheet.write_tearsheet = stall
    from jpmacro_bt.cli import app

    app(["run", "boj_hike_long_jpy", "--start", "2024-01-01", "--end", "2024-12-31", "--reports-dir", sys.argv[2]])
''')


def test_a_run_killed_mid_write_leaves_no_trial_and_its_leftover_goes(tmp_path):
    reports, writing = tmp_path / "reports", tmp_path / "writing"
    log = tmp_path / "stderr.txt"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", STALL, str(writing), str(reports)], stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 180
        while not writing.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the run never reached its tearsheet"
            time.sleep(0.2)
    finally:
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait()
    (leftover,) = reports.iterdir()
    assert re.fullmatch(rf"\.boj_hike_long_jpy-\d{{8}}-\d{{6}}-[0-9a-f]{{6}}\.{proc.pid}-[0-9a-f]{{6}}\.tmp", leftover.name)
    assert ledger.read() == []  # the trial is recorded only once its folder exists
    old = time.time() - files.STALE_AFTER - 60
    os.utime(leftover, (old, old))
    out = invoke("run", "boj_hike_long_jpy", "--start", "2024-01-01", "--end", "2024-12-31", "--reports-dir", str(reports))
    assert out.exit_code == 0, out.output
    (folder,) = reports.iterdir()  # the leftover is gone
    assert sorted(p.name for p in folder.iterdir()) == RUN_FILES
    assert [r["source_id"] for r in ledger.read()] == [folder.name]


def test_only_a_dead_writers_old_leftovers_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = time.time() - files.STALE_AFTER - 60
    names = {
        "dead_old": f".r-20260101-000000-abcdef.{dead.pid}-a1b2c3.tmp",
        "dead_young": f".r-20260101-000001-abcdef.{dead.pid}-a1b2c3.tmp",
        "alive_old": f".r-20260101-000002-abcdef.{os.getppid()}-a1b2c3.tmp",
        "mine_old": f".r-20260101-000003-abcdef.{os.getpid()}-a1b2c3.tmp",
        "earlier_version_old": ".r-20260101-000004-abcdef.tmp",
        "users_own_old": ".my-notes.tmp",
    }
    for key, name in names.items():
        (tmp_path / name).mkdir()
        if key.endswith("_old"):
            os.utime(tmp_path / name, (old, old))
    removed = files.remove_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted([names["dead_old"], names["earlier_version_old"]])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[k] for k in ("dead_young", "alive_old", "mine_old", "users_own_old"))


def test_an_interrupted_block_removes_its_folder_and_keeps_the_error(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with files.atomic_folder(tmp_path / "out") as tmp:
            (tmp / "half").write_text("x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ReportError, match="already exists; wait a second"):
        (tmp_path / "out").mkdir()
        with files.atomic_folder(tmp_path / "out"):
            pass


# --- progress on a pipe -------------------------------------------------------------------------


def test_progress_lines_estimate_from_the_first_chunk_then_report_every_few_seconds():
    lines: list[str] = []
    clock = iter([0.0, 2.0, 4.0, 12.5, 14.0, 20.0])
    progress = ProgressLines(lines.append, every=10.0, clock=lambda: next(clock))
    for done in (0, 100, 200, 600, 700, 1000):
        progress("sweep", done, 1000)
    assert lines == [
        "sweep: 1,000 combinations",
        # 100 in 2 s: 20 s for 1,000, 18 s still to go
        "sweep: 100 of 1,000 combinations in 2.0 s; estimated 20.0 s in all, about 18.0 s left",
        # 10.5 s after the estimate; 600 in 12.5 s leaves 400 at 12.5 / 600 s each = 8.3 s
        "sweep: 600/1,000 (60%), 12.5 s elapsed, about 8.3 s left",
        "sweep: 1,000/1,000 combinations in 20.0 s",
    ]


def test_durations_read_as_a_wait():
    assert [duration(s) for s in (8.24, 245, 7980)] == ["8.2 s", "4 min 05 s", "2 h 13 min"]


DIP = textwrap.dedent('''
    """Short USDJPY after a fall (a test strategy)."""
    from dataclasses import dataclass

    from jpmacro_bt.strategy import Signals, Strategy, hold_for, param


    @dataclass(frozen=True)
    class Dip(Strategy):
        claim = "test"
        symbols = ("USDJPY",)

        bars: int = param(5, min=1, max=60, help="look-back, bars")
        hold_days: int = param(5, min=1, max=100, help="bars held")

        def signals(self, data, events):
            close = data.close("USDJPY")
            entries, exits = hold_for(close / close.shift(self.bars) - 1 < -0.01, self.hold_days)
            return Signals(close=close, short_entries=entries, short_exits=exits)
''')


def test_a_sweep_on_a_pipe_prints_progress_lines(tmp_path):
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "dip.py").write_text(DIP)
    out = invoke("sweep", "dip", "--strategies", str(folder), "--grid", "bars=3,5", "--grid", "hold_days=4:5", "--chunk-size", "1",
                 "--start", "2020-01-01", "--end", "2021-12-31", "--bootstrap", "20", "--pbo-blocks", "4", "--reports-dir", str(tmp_path / "r"))
    assert out.exit_code == 0, out.output
    lines = out.stderr.splitlines()
    assert lines[0] == "sweep: 4 combinations"
    assert re.fullmatch(r"sweep: 1 of 4 combinations in \d+\.\d s; estimated \d+\.\d s in all, about \d+\.\d s left", lines[1])
    assert any(re.fullmatch(r"sweep: 4/4 combinations in \d+\.\d s", line) for line in lines[2:]), lines
