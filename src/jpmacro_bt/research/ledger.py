"""The trial ledger: every backtest ever made on a strategy, so luck can be priced.

A deflated Sharpe ratio needs the number of trials a result was picked from,
and that is every configuration ever tried on the strategy, not only those of
the current sweep. Each run and each sweep combination is appended here:
strategy, parameters, traded period, costs, a digest of the data and the
Sharpe ratio.

The ledger is one SQLite file (stdlib ``sqlite3``, never pickle) under the
package cache, :func:`ledger_path`. It is append-only: triggers refuse
``UPDATE`` and ``DELETE``. Writers take SQLite's write lock (``BEGIN
IMMEDIATE``, waiting up to 60 s) and add their rows in one transaction, so
concurrent runs and sweeps never lose or interleave rows.

A *trial* is one distinct configuration: the same strategy, parameters,
period, costs and data run twice is one trial (:func:`trial_key`).
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import math
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from jpmacro_bt.errors import ReportError
from jpmacro_bt.paths import cache_dir

__all__ = [
    "Trial",
    "check_writable",
    "data_digest",
    "ledger_path",
    "read",
    "record",
    "count_with",
    "record_run",
    "run_trial",
    "with_source",
    "summary",
    "trial_count",
    "trial_key",
    "trial_sharpes",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    strategy TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_id TEXT,
    params TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    bars INTEGER NOT NULL,
    periods_per_year INTEGER NOT NULL,
    settings TEXT NOT NULL,
    data_digest TEXT NOT NULL,
    trial_key TEXT NOT NULL,
    sharpe REAL,
    trades INTEGER
);
CREATE INDEX IF NOT EXISTS trials_by_strategy ON trials (strategy, trial_key);
CREATE TRIGGER IF NOT EXISTS trials_append_only_update BEFORE UPDATE ON trials
BEGIN SELECT RAISE(ABORT, 'the trial ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS trials_append_only_delete BEFORE DELETE ON trials
BEGIN SELECT RAISE(ABORT, 'the trial ledger is append-only'); END;
"""


def ledger_path() -> Path:
    """``<cache>/ledger.sqlite3`` (the cache honours ``JPMACRO_CACHE_DIR``)."""
    return cache_dir() / "ledger.sqlite3"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _dumps(obj: Mapping[str, Any]) -> str:
    return json.dumps({k: _jsonable(v) for k, v in obj.items()}, sort_keys=True, separators=(",", ":"))


def data_digest(fingerprint: Mapping[str, Any]) -> str:
    """SHA-256 of a data fingerprint (``MarketData.fingerprint()``), 16 hex digits."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Trial:
    """One backtest of one configuration.

    ``sharpe`` is annualised with ``periods_per_year`` (None when undefined,
    e.g. nothing was ever held); ``kind`` is ``"run"`` or ``"sweep"`` and
    ``source_id`` the run folder or sweep id it came from.
    """

    strategy: str
    params: Mapping[str, Any]
    start: str
    end: str
    bars: int
    periods_per_year: int
    settings: Mapping[str, Any]
    data_digest: str
    sharpe: float | None
    trades: int | None = None
    kind: str = "run"
    source_id: str | None = None
    recorded_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def key(self) -> str:
        return trial_key(self.strategy, self.params, self.start, self.end, self.settings, self.data_digest)


def trial_key(strategy: str, params: Mapping[str, Any], start: str, end: str, settings: Mapping[str, Any], digest: str) -> str:
    """What makes two trials the same: strategy, parameters, period, costs and data."""
    text = "\n".join([strategy, _dumps(params), start, end, _dumps(settings), digest])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _fix(path: Path, exc: Exception) -> str:
    """What to do about a ledger that cannot be written, by what went wrong."""
    text = str(exc).lower()
    if "full" in text or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return "free space on that disk, or point JPMACRO_CACHE_DIR at another"
    if "readonly" in text or "read-only" in text or getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"make {path.parent} writable, or point JPMACRO_CACHE_DIR at a writable folder"
    if isinstance(exc, OSError):
        return "point JPMACRO_CACHE_DIR at a folder that can be created and written"
    return "move the file away to start a new one"


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=60.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.executescript(_SCHEMA)
    except (sqlite3.Error, OSError) as exc:
        raise ReportError(f"trial ledger {path} cannot be opened ({exc}); {_fix(path, exc)}") from None
    return conn


def check_writable(path: Path | None = None) -> None:
    """Raise the ReportError :func:`record` would, before any work that is only kept once recorded."""
    file = path or ledger_path()
    with closing(_connect(file)) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")  # the write lock a writer takes
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise ReportError(f"trial ledger {file} cannot be written ({exc}); {_fix(file, exc)}") from None


def record(trials: Iterable[Trial], path: Path | None = None) -> int:
    """Append ``trials`` in one transaction; return how many were written."""
    rows = [
        (
            t.recorded_at, t.strategy, t.kind, t.source_id, _dumps(t.params), t.start, t.end, int(t.bars), int(t.periods_per_year),
            _dumps(t.settings), t.data_digest, t.key,
            None if t.sharpe is None or not math.isfinite(t.sharpe) else float(t.sharpe),
            None if t.trades is None else int(t.trades),
        )
        for t in trials
    ]
    if not rows:
        return 0
    with closing(_connect(path or ledger_path())) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO trials (recorded_at, strategy, kind, source_id, params, start, end, bars, periods_per_year,"
                " settings, data_digest, trial_key, sharpe, trades) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise ReportError(f"trial ledger {path or ledger_path()} cannot be written ({exc}); {_fix(path or ledger_path(), exc)}") from None
    return len(rows)


def run_trial(result: Any, run_id: str | None = None) -> Trial:
    """The trial that one run (a :class:`~jpmacro_bt.engine.run.RunResult` or a portfolio) makes."""
    from jpmacro_bt.engine.metrics import periods_per_year

    index = result.returns.index
    strategy = getattr(result, "strategy", None)
    params = strategy.params() if strategy is not None else result.config_key()
    if getattr(result, "costs", ()):
        fees, slippage, borrow = result.costs  # as traded: per symbol for a mixed basket, as a sweep records them
    elif strategy is not None and hasattr(result.settings, "costs"):
        fees, slippage, borrow = result.settings.costs(strategy)
    else:
        fees = slippage = borrow = None
    settings = {"init_cash": result.settings.init_cash, "size": result.settings.size, "fees": fees, "slippage": slippage, "borrow": borrow}
    metrics = result.metrics["strategy"]
    return Trial(
        strategy=result.label,
        params=params,
        start=f"{index[0]:%Y-%m-%d}",
        end=f"{index[-1]:%Y-%m-%d}",
        bars=len(index),
        periods_per_year=periods_per_year(index),
        settings=settings,
        data_digest=data_digest(result.fingerprint()),
        sharpe=metrics.get("sharpe"),
        trades=None if metrics.get("trades") is None else int(metrics["trades"]),
        kind="run",
        source_id=run_id,
    )


def with_source(trial: Trial, source_id: str) -> Trial:
    """``trial`` recorded as coming from ``source_id`` (a run folder's name)."""
    return dataclasses.replace(trial, source_id=source_id)


def count_with(trial: Trial, path: Path | None = None) -> int:
    """The strategy's trial count once ``trial`` is recorded (it counts only if new and with a Sharpe ratio)."""
    known = trial_sharpes(trial.strategy, path)
    new = trial.key not in known and trial.sharpe is not None and math.isfinite(trial.sharpe)
    return len(known) + int(new)


def record_run(result: Any, run_id: str | None = None, path: Path | None = None) -> int:
    """Append one run and return the strategy's trial count after it."""
    record([run_trial(result, run_id)], path)
    return trial_count(result.label, path)


def _distinct(conn: sqlite3.Connection, strategy: str) -> list[tuple[str, float | None, int]]:
    """Latest (trial key, sharpe, periods_per_year) of each distinct trial of ``strategy``."""
    return conn.execute(
        "SELECT trial_key, sharpe, periods_per_year FROM trials WHERE id IN (SELECT MAX(id) FROM trials WHERE strategy = ? GROUP BY trial_key)",
        (strategy,),
    ).fetchall()


def trial_count(strategy: str, path: Path | None = None) -> int:
    """Distinct configurations ever tried on ``strategy`` that had a Sharpe ratio."""
    return len(trial_sharpes(strategy, path))


def trial_sharpes(strategy: str, path: Path | None = None) -> dict[str, float]:
    """Per-bar Sharpe ratio (annual / sqrt(bars a year)) of every distinct trial of ``strategy`` that had one, by trial key."""
    file = path or ledger_path()
    if not file.exists():
        return {}
    with closing(_connect(file)) as conn:
        rows = _distinct(conn, strategy)
    return {k: s / math.sqrt(p) for k, s, p in rows if s is not None}


def read(strategy: str | None = None, *, limit: int | None = None, path: Path | None = None) -> list[dict[str, Any]]:
    """Rows of the ledger, newest first, as plain dicts (``params`` and ``settings`` decoded)."""
    file = path or ledger_path()
    if not file.exists():
        return []
    sql = "SELECT * FROM trials" + (" WHERE strategy = ?" if strategy else "") + " ORDER BY id DESC"
    args: tuple = (strategy,) if strategy else ()
    if limit is not None:
        sql += " LIMIT ?"
        args += (int(limit),)
    with closing(_connect(file)) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute(sql, args)]
    for row in rows:
        row["params"] = json.loads(row["params"])
        row["settings"] = json.loads(row["settings"])
    return rows


def summary(path: Path | None = None) -> list[dict[str, Any]]:
    """Per strategy: rows, distinct trials with a Sharpe ratio, runs, sweeps, best and last Sharpe, last recorded."""
    file = path or ledger_path()
    if not file.exists():
        return []
    with closing(_connect(file)) as conn:
        rows = conn.execute(
            "SELECT strategy, COUNT(*), SUM(kind = 'run'), COUNT(DISTINCT CASE WHEN kind = 'sweep' THEN source_id END),"
            " MAX(sharpe), MAX(recorded_at) FROM trials GROUP BY strategy ORDER BY strategy"
        ).fetchall()
        out = []
        for strategy, n_rows, runs, sweeps, best, last in rows:
            trials = sum(1 for _, s, _ in _distinct(conn, strategy) if s is not None)
            out.append({"strategy": strategy, "rows": n_rows, "trials": trials, "runs": runs, "sweeps": sweeps, "best_sharpe": best, "last": last})
    return out

