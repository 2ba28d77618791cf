"""Run folders read back: validated JSON and CSV, never a pickle.

A run folder is what :func:`jpmacro_bt.engine.run.write_run` writes (see
``reports/README.md``): ``metrics.json``, ``returns.csv``, ``trades.csv``,
``manifest.json`` and, usually, ``tearsheet.html``. :func:`load_run` checks
that the files are there, parse, and have the shape this version writes; a
folder that is missing files, was written by an older version or is not a run
at all raises :class:`~jpmacro_bt.errors.ReportError` naming the folder and
the fix. Only the small JSON files are read up front (listing a hundred runs
stays instant and imports no pandas); :meth:`Run.returns` and
:meth:`Run.trades` read the CSVs when a comparison needs them.

:func:`scan` finds the runs under a reports folder, including the runs inside
suite folders (``suite-<id>/<run-id>/``), newest first; comparison pages
(``compare-<id>/``) and sweeps (``sweep-<id>/``) are not runs and are passed
over.

Nothing is read through a symbolic link: a run folder, a suite folder or a
run file (``metrics.json``, ``returns.csv``, ...) that is a link could point
anywhere on the machine, and its content would reach the page. Such a folder
is skipped with the reason.
"""

from __future__ import annotations

import json
import math
import os
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jpmacro_bt.errors import ReportError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["RUN_FILES", "Run", "Skipped", "expand", "is_suite", "load_run", "scan"]

RUN_FILES = ("metrics.json", "returns.csv", "trades.csv", "manifest.json")
RETURNS_HEADER = ("date", "strategy", "benchmark")
TRADES_COLUMNS = ("entry_date", "exit_date", "pnl", "status")


@dataclass(frozen=True)
class Skipped:
    """A folder that could not be read as a run, and why (the message names the folder)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Run:
    """One run folder's headline facts, read from its JSON files.

    ``metrics`` and ``benchmark_metrics`` are the numbers of ``metrics.json``
    (None where undefined); ``params`` are the strategy's parameters, or for
    a portfolio each member's weight.
    """

    path: Path
    run_id: str
    strategy: str
    claim: str
    params: dict[str, Any]
    benchmark: str
    created_at: datetime
    start: str
    end: str
    bars: int
    metrics: dict[str, float | None]
    benchmark_metrics: dict[str, float | None]
    manifest: dict[str, Any] = field(repr=False)

    @property
    def tearsheet(self) -> Path | None:
        """The run's tearsheet, if it was written (and is not a link)."""
        path = self.path / "tearsheet.html"
        return path if path.is_file() and not path.is_symlink() else None

    @property
    def command(self) -> str:
        """The command line that made the run, as recorded."""
        return _command(self.manifest)

    def returns(self) -> pd.DataFrame:
        """``returns.csv`` as float columns ``strategy`` and ``benchmark`` on a sorted date index."""
        import pandas as pd

        path = self.path / "returns.csv"
        _refuse_links(self.path, "returns.csv")
        try:
            frame = pd.read_csv(path, dtype={"strategy": "float64", "benchmark": "float64"})
        except (ValueError, pd.errors.ParserError) as exc:
            raise ReportError(f"run folder {self.path}: returns.csv cannot be read ({_first_line(exc)}); {self._rerun()}") from None
        if tuple(frame.columns) != RETURNS_HEADER:
            raise ReportError(
                f"run folder {self.path}: returns.csv has columns {','.join(map(str, frame.columns))}, "
                f"expected {','.join(RETURNS_HEADER)}; it is from another version, {self._rerun()}"
            )
        dates = pd.to_datetime(frame.pop("date"), format="%Y-%m-%d", errors="coerce")
        if dates.isna().any():
            raise ReportError(f"run folder {self.path}: returns.csv has dates that are not YYYY-MM-DD; {self._rerun()}")
        frame.index = pd.DatetimeIndex(dates, name="date")
        if len(frame) < 2 or not frame.index.is_monotonic_increasing or not frame.index.is_unique:
            raise ReportError(f"run folder {self.path}: returns.csv needs two or more rows of increasing, distinct dates; {self._rerun()}")
        values = frame.to_numpy()
        if not bool(((values > -1) & (values < math.inf)).all()):
            raise ReportError(f"run folder {self.path}: returns.csv holds empty, infinite or <= -100 % returns; {self._rerun()}")
        if (f"{frame.index[0]:%Y-%m-%d}", f"{frame.index[-1]:%Y-%m-%d}", len(frame)) != (self.start, self.end, self.bars):
            raise ReportError(
                f"run folder {self.path}: returns.csv ({frame.index[0]:%Y-%m-%d} .. {frame.index[-1]:%Y-%m-%d}, {len(frame)} rows) "
                f"does not match metrics.json ({self.start} .. {self.end}, {self.bars} bars); the folder was edited, {self._rerun()}"
            )
        return frame

    def trades(self) -> pd.DataFrame:
        """``trades.csv``; dates stay ``YYYY-MM-DD`` strings (empty exit date for an open position)."""
        import pandas as pd

        path = self.path / "trades.csv"
        _refuse_links(self.path, "trades.csv")
        try:
            frame = pd.read_csv(path, dtype={"entry_date": str, "exit_date": str, "status": str}, keep_default_na=False, na_values={"pnl": [""]})
        except pd.errors.EmptyDataError:
            raise ReportError(f"run folder {self.path}: trades.csv is empty, not even a header; {self._rerun()}") from None
        except (ValueError, pd.errors.ParserError) as exc:
            raise ReportError(f"run folder {self.path}: trades.csv cannot be read ({_first_line(exc)}); {self._rerun()}") from None
        missing = [c for c in TRADES_COLUMNS if c not in frame.columns]
        if missing:
            raise ReportError(f"run folder {self.path}: trades.csv has no column {', '.join(missing)}; it is from another version, {self._rerun()}")
        if not frame["status"].isin(["open", "closed"]).all():
            raise ReportError(f"run folder {self.path}: trades.csv has a status other than open/closed; {self._rerun()}")
        return frame

    def _rerun(self) -> str:
        return _rerun_hint(self.manifest)


def _link_target(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        return "somewhere"
    return target if target.isprintable() else repr(target)


def _link_error(folder: Path, name: str | None = None) -> ReportError:
    if name is None:
        return ReportError(
            f"{folder} is a symbolic link to {_link_target(folder)}; run folders are not read through links, "
            "which may point anywhere: copy the run into the reports folder, or pass the folder itself"
        )
    return ReportError(
        f"run folder {folder}: {name} is a symbolic link to {_link_target(folder / name)}; "
        "a run's files are never read through links: re-run the backtest"
    )


def _refuse_links(folder: Path, *names: str) -> None:
    """Raise when ``folder`` or one of its ``names`` is a symbolic link: it is never followed."""
    if folder.is_symlink():
        raise _link_error(folder)
    for name in names:
        if (folder / name).is_symlink():
            raise _link_error(folder, name)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _command(manifest: dict[str, Any] | None) -> str:
    cmd = (manifest or {}).get("command")
    if isinstance(cmd, list) and cmd and all(isinstance(c, str) for c in cmd):
        return shlex.join(cmd)
    return ""


def _rerun_hint(manifest: dict[str, Any] | None) -> str:
    cmd = _command(manifest)
    return f"re-run it: {cmd}" if cmd else "re-run the backtest"


def _read_json(folder: Path, name: str, manifest: dict[str, Any] | None) -> Any:
    try:
        text = (folder / name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ReportError(f"run folder {folder}: {name} is not UTF-8 text; the file is damaged, {_rerun_hint(manifest)}") from None
    except OSError as exc:
        raise ReportError(f"run folder {folder}: {name} cannot be read ({exc.strerror}); check its permissions") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"run folder {folder}: {name} is not valid JSON ({exc.msg}, line {exc.lineno}); the file is damaged, {_rerun_hint(manifest)}"
        ) from None


def _older(folder: Path, what: str, manifest: dict[str, Any] | None) -> ReportError:
    return ReportError(f"run folder {folder} has an older or unknown format ({what}); {_rerun_hint(manifest)} with this version")


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value))


def _metrics_block(folder: Path, metrics: Any, key: str, manifest: dict[str, Any]) -> dict[str, float | None]:
    block = metrics.get(key)
    if not isinstance(block, dict):
        raise _older(folder, f"metrics.json has no {key!r} section", manifest)
    bad = [k for k, v in block.items() if not _number(v)]
    if bad:
        raise _older(folder, f"metrics.json {key}.{bad[0]} is {block[bad[0]]!r}, not a number", manifest)
    return {k: None if v is None else float(v) for k, v in block.items()}


def _params(strategy: dict[str, Any]) -> dict[str, Any]:
    params = strategy.get("params")
    if isinstance(params, dict):
        return params
    members = strategy.get("members")
    if isinstance(members, list):  # a portfolio: its members and their weights
        return {str(m.get("id", "?")): m.get("weight") for m in members if isinstance(m, dict)}
    return {}


def load_run(path: Path) -> Run:
    """Read and validate the run folder at ``path`` (JSON files only; see :meth:`Run.returns`)."""
    path = Path(path)
    _refuse_links(path, *RUN_FILES)
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is a file, not a folder"
        raise ReportError(f"{path} {what}; pass a run folder such as reports/<run-id> (`jpmacro-bt reports` lists them)")
    if _is_sweep(path):
        raise ReportError(f"{path} is a sweep folder (`jpmacro-bt sweep`), not a run; open its sweep.html, or compare run folders")
    present = [name for name in RUN_FILES if (path / name).is_file()]
    if not present:
        raise ReportError(
            f"{path} is not a run folder (no {', '.join(RUN_FILES)}); pass a folder written by `jpmacro-bt run` (`jpmacro-bt reports` lists them)"
        )
    manifest = None
    if "manifest.json" in present:
        loaded = _read_json(path, "manifest.json", None)
        manifest = loaded if isinstance(loaded, dict) else None
    missing = [name for name in RUN_FILES if name not in present]
    if missing:
        raise ReportError(f"run folder {path} is incomplete: {', '.join(missing)} missing; {_rerun_hint(manifest)}")
    if manifest is None:
        raise _older(path, "manifest.json is not an object", None)
    metrics = _read_json(path, "metrics.json", manifest)
    if not isinstance(metrics, dict):
        raise _older(path, "metrics.json is not an object", manifest)
    strategy = manifest.get("strategy")
    if not isinstance(strategy, dict) or not isinstance(strategy.get("id"), str) or not isinstance(manifest.get("run_id"), str):
        raise _older(path, "manifest.json has no run_id or strategy.id", manifest)
    try:
        created = datetime.fromisoformat(str(manifest.get("created_at")))
    except ValueError:
        raise _older(path, f"manifest.json created_at {manifest.get('created_at')!r} is not an ISO time", manifest) from None
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    period = metrics.get("period")
    if not (
        isinstance(period, dict)
        and isinstance(period.get("start"), str)
        and isinstance(period.get("end"), str)
        and isinstance(period.get("bars"), int)
    ):
        raise _older(path, "metrics.json has no period with start, end and bars", manifest)
    return Run(
        path=path,
        run_id=manifest["run_id"],
        strategy=strategy["id"],
        claim=str(strategy.get("claim", "")),
        params=_params(strategy),
        benchmark=str(strategy.get("benchmark", "")),
        created_at=created,
        start=period["start"],
        end=period["end"],
        bars=period["bars"],
        metrics=_metrics_block(path, metrics, "strategy", manifest),
        benchmark_metrics=_metrics_block(path, metrics, "benchmark", manifest),
        manifest=manifest,
    )


def is_suite(path: Path) -> bool:
    """A folder written by ``run-all``: it holds ``suite.json`` and run folders."""
    return (path / "suite.json").is_file()


def _is_sweep(path: Path) -> bool:
    """A folder written by ``jpmacro-bt sweep``."""
    return (path / "sweep.html").is_file() or (path / "summary.json").is_file() and not (path / "metrics.json").exists()


def _is_page(path: Path) -> bool:
    """A comparison page folder (``index.html`` and no run files)."""
    return (path / "index.html").is_file() and not any((path / name).exists() for name in RUN_FILES)


def expand(paths: list[Path]) -> tuple[list[Run], list[Skipped]]:
    """Runs at ``paths`` in the order given; a suite folder stands for the runs inside it.

    A folder named twice is read once; one that cannot be read becomes a
    :class:`Skipped` with the reason.
    """
    runs: list[Run] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir() and not path.is_symlink() and is_suite(path):
            inner, bad = _scan_suite(path)
            candidates: list[Run | Skipped] = [*inner, *bad]
        else:
            try:
                candidates = [load_run(path)]
            except ReportError as exc:
                candidates = [Skipped(path, str(exc))]
        for item in candidates:
            key = item.path.resolve()
            if key in seen:
                continue
            seen.add(key)
            (runs if isinstance(item, Run) else skipped).append(item)
    return runs, skipped


def _children(folder: Path) -> list[Path]:
    """Visible sub-folders, and links to folders (which :func:`load_run` refuses, so they are named)."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _scan_suite(folder: Path) -> tuple[list[Run], list[Skipped]]:
    runs, skipped = [], []
    for child in _children(folder):
        try:
            runs.append(load_run(child))
        except ReportError as exc:
            skipped.append(Skipped(child, str(exc)))
    return _newest_first(runs), skipped


def _newest_first(runs: list[Run]) -> list[Run]:
    return sorted(runs, key=lambda r: (r.created_at, r.run_id), reverse=True)


def scan(reports_dir: Path) -> tuple[list[Run], list[Skipped]]:
    """Every run under ``reports_dir`` (also inside suite folders), newest first, and the folders skipped.

    Hidden folders (runs being written), comparison pages and sweeps are passed over.
    """
    reports_dir = Path(reports_dir)
    if not reports_dir.is_dir():
        raise ReportError(f"reports folder {reports_dir} does not exist; run `jpmacro-bt run STRATEGY` first, or pass --reports-dir DIR")
    runs: list[Run] = []
    skipped: list[Skipped] = []
    for child in _children(reports_dir):
        if child.is_symlink():
            skipped.append(Skipped(child, str(_link_error(child))))
            continue
        if is_suite(child):
            inner, bad = _scan_suite(child)
            runs += inner
            skipped += bad
        elif not (_is_page(child) or _is_sweep(child)):
            try:
                runs.append(load_run(child))
            except ReportError as exc:
                skipped.append(Skipped(child, str(exc)))
    return _newest_first(runs), skipped
