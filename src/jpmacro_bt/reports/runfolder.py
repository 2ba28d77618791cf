"""Run folders: one run written atomically, and the trial it records.

``write_run`` writes ``metrics.json``, ``returns.csv``, ``trades.csv``,
``manifest.json`` and the tearsheet into a hidden temporary folder that is
renamed into place only when complete. ``save_run`` is what a user's run does:
it writes the folder and, once the folder exists, records the run as a trial
in the ledger, so a deflated Sharpe accounts for it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from jpmacro_bt.engine.run import RunResult
from jpmacro_bt.events import load_events
from jpmacro_bt.files import atomic_folder, json_text, write_text

__all__ = ["manifest", "run_id", "save_run", "trades_section", "versions", "write_run"]

_VERSIONED = ("jpmacro-bt", "vectorbt", "quantstats", "pandas", "numpy", "numba", "currencyconverter")


def versions(names: tuple[str, ...] = _VERSIONED) -> dict[str, str]:
    """Python's version and those of the packages ``names`` ("not installed" for a missing one)."""
    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git_commit(where: Path) -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def run_id(result: RunResult, now: datetime) -> str:
    """``<label>-<UTC time>-<6 hex of params and settings>``: sortable, and distinct per configuration.

    Identical runs started in the same second share this id; :func:`write_run`
    gives the later ones ``-2``, ``-3``, ... so each run keeps its own folder.
    """
    key = json.dumps(result.config_key(), sort_keys=True, default=_jsonable)
    return f"{result.label}-{now:%Y%m%d-%H%M%S}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


def manifest(result: RunResult, rid: str, now: datetime, argv: list[str]) -> dict[str, Any]:
    """Everything needed to reproduce and audit the run."""
    events = load_events()
    index = result.returns.index
    return {
        "run_id": rid,
        "created_at": now.isoformat(timespec="seconds"),
        "strategy": result.describe(),
        "period": {
            "requested_start": _jsonable(result.settings.start),
            "requested_end": _jsonable(result.settings.end),
            "start": f"{index[0]:%Y-%m-%d}",
            "end": f"{index[-1]:%Y-%m-%d}",
            "bars": len(index),
        },
        "settings": {
            "init_cash": result.settings.init_cash,
            "size": result.settings.size,
            "fees": result.settings.fees,
            "slippage": result.settings.slippage,
            "borrow": result.settings.borrow,
            "source": result.settings.source,
            "data_dir": _jsonable(result.settings.data_dir),
            "offline": result.settings.offline,
            "max_move": result.settings.max_move,
            "leverage": result.settings.leverage,
        },
        "data": result.fingerprint(),
        "calendars": {
            c.name: {
                "complete_from": c.complete_from.isoformat(),
                "complete_through": c.complete_through.isoformat(),
                "last_reviewed": c.last_reviewed.isoformat(),
            }
            for c in events.used(result.calendars_used())
        },
        "warnings": list(result.warnings),
        "versions": versions(),
        "git_commit": _git_commit(Path(__file__).resolve().parent),
        "command": argv,
    }


def write_run(
    result: RunResult, reports_dir: Path, *, argv: list[str] | None = None, tearsheet: bool = True, now: datetime | None = None, trials: int | None = None
) -> Path:
    """Write the run folder under ``reports_dir`` atomically and return its path.

    ``trials`` is the strategy's trial count the tearsheet shows beside the
    Sharpe ratio; this function writes files and nothing else (see :func:`save_run`).
    """
    from jpmacro_bt.reports.tearsheet import write_tearsheet

    now = now or datetime.now(timezone.utc)
    rid = run_id(result, now)
    record = manifest(result, rid, now, argv or sys.argv)

    def write_manifest(folder: Path, name: str) -> None:
        record["run_id"] = name  # the manifest names the folder it is in, suffix included
        write_text(folder / "manifest.json", json_text(record, default=_jsonable))

    target = atomic_folder(reports_dir / rid, what="run folder", unique=True, renamed=write_manifest)
    with target as tmp:
        returns = result.returns
        period = {"start": f"{returns.index[0]:%Y-%m-%d}", "end": f"{returns.index[-1]:%Y-%m-%d}", "bars": len(returns)}
        write_text(tmp / "metrics.json", json_text({**result.metrics, "period": period}, sort_keys=True))
        write_text(tmp / "returns.csv", returns.to_csv(lineterminator="\n", date_format="%Y-%m-%d"))
        write_text(tmp / "trades.csv", result.trades.to_csv(index=False, lineterminator="\n"))
        write_manifest(tmp, rid)
        if tearsheet:
            write_tearsheet(
                tmp / "tearsheet.html",
                returns["strategy"],
                returns["benchmark"],
                title=result.title,
                strategy_title=result.label,
                benchmark_title=result.benchmark_name,
                parameters={**result.display_params(), **({} if trials is None else {"trials on this strategy": trials})},
                section=trades_section(result),
            )
    return target.final


def trades_section(result: RunResult) -> str:
    """The tearsheet's section of what was traded when: price, entries, exits, events and the trade table."""
    from jpmacro_bt.reports.trades_chart import event_markers, trades_html

    index = result.returns.index
    prices = getattr(result, "prices", None)
    # The first calendar is the one the strategy trades on; others (policy rates for carry) would bury it.
    markers = event_markers(result.calendars_used()[:1], index[0], index[-1])
    return trades_html(None if prices is None else prices.loc[index[0] : index[-1]], result.trades, markers, title=result.label)


def save_run(result: RunResult, reports_dir: Path, *, argv: list[str] | None = None, tearsheet: bool = True) -> Path:
    """Write the run folder and record the run as a trial; return the folder.

    The trial is recorded only once the folder exists: a run that dies while
    writing leaves neither a folder nor a trial. The ledger is checked before
    the folder is written, and a folder whose trial could not be recorded
    after all is removed, so every run folder is counted in the ledger.
    """
    import shutil

    from jpmacro_bt.errors import ReportError
    from jpmacro_bt.research import ledger

    trial = ledger.run_trial(result)
    ledger.check_writable()
    folder = write_run(result, reports_dir, argv=argv, tearsheet=tearsheet, trials=ledger.count_with(trial))
    try:
        ledger.record([ledger.with_source(trial, folder.name)])
    except ReportError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ReportError(f"{exc} (the run folder {folder.name} was removed, as it is not counted; run again once fixed)") from None
    return folder
