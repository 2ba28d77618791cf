"""Local cache of downloaded series: parquet data plus a JSON sidecar.

Where: ``$JPMACRO_CACHE_DIR`` > ``$XDG_CACHE_HOME/jpmacro-bt`` > ``~/.cache/jpmacro-bt``.

One entry per (source, upstream id): ``ROOT/SOURCE/ID.parquet`` holds the bars
(``date`` plus the float columns), ``ROOT/SOURCE/ID.json`` records
``{source, upstream_id, symbol, start, end, fetched_at, rows, sha256, close,
origin, format}``; ``ID`` is the upstream id percent-encoded (``^N225`` ->
``%5EN225``). Only parquet (pyarrow) and JSON are read or written, never
pickles.

Each file is written to a temporary file in the same folder, flushed to disk
(fsync) and moved over the old one with ``os.replace``, so a reader sees the
old file or the new one, never half of one. The sidecar is written after the
data and is the entry's commit record: data without a sidecar is ignored, and
a crash between the two leaves a sidecar whose checksum no longer matches,
which :meth:`Cache.get` reports (the caller refetches). Reading checks every
field of the sidecar (types, dates, the bar close's zone; it must record the
entry it sits beside), then the row count and the SHA-256 of the data
(:func:`~jpmacro_bt.sources.base.data_sha256`); a sidecar that fails is a
corrupt entry like a bad checksum: fetched again, or an error when offline.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jpmacro_bt.errors import SourceError
from jpmacro_bt.paths import cache_dir
from jpmacro_bt.sources.base import Bars, data_sha256, parse_close

__all__ = ["CACHE_ENV", "FORMAT", "Cache", "cache_dir", "merge_tail", "overlap_agrees"]

CACHE_ENV = "JPMACRO_CACHE_DIR"
FORMAT = 1
_TMP_SUFFIX = ".tmp"


def merge_tail(cached: pd.DataFrame, tail: pd.DataFrame) -> pd.DataFrame:
    """Cached bars extended by a newly fetched tail; the tail wins on shared dates (pure)."""
    both = pd.concat([cached, tail])
    return both[~both.index.duplicated(keep="last")].sort_index()


def overlap_agrees(cached: pd.DataFrame, tail: pd.DataFrame, *, rtol: float = 1e-6) -> bool:
    """True when a fetched tail repeats the cached closes it overlaps (pure).

    The last cached bar is left out (it may have been a partial day). False
    when nothing else overlaps, or when an older close changed: the source
    revised its history (Yahoo re-adjusts every earlier price after a dividend
    or split), so appending the tail would leave a step in the series and the
    whole history must be fetched again.
    """
    shared = cached.index[:-1].intersection(tail.index)
    if shared.empty:
        return False
    old, new = cached.loc[shared, "close"].to_numpy(), tail.loc[shared, "close"].to_numpy()
    return bool(np.allclose(old, new, rtol=rtol, atol=0.0))


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write via a same-folder temporary file, fsync, ``os.replace``; no temp file survives an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _parse_utc(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _refetch(source: str, symbol: Any) -> str:
    name = symbol if isinstance(symbol, str) and symbol else "SYMBOL"
    if source == "csv":
        return f"import the file again (`jpmacro-bt data fetch {name} --data-dir DIR`)"
    return f"fetch again (`jpmacro-bt data fetch {name}`)"


_SHA256 = re.compile(r"[0-9a-f]{64}")
_REQUIRED = ("format", "source", "upstream_id", "symbol", "start", "end", "fetched_at", "rows", "sha256", "close", "origin")


def _meta_problem(meta: Any, where: tuple[str, str], now: datetime) -> str | None:
    """What is wrong with a sidecar's fields, or None: it records the entry at ``where`` (source, id),
    as :meth:`Cache.put` writes it. The checksum covers the data only, so the fields are checked here."""
    if not isinstance(meta, dict):
        return f"a JSON {type(meta).__name__}, not an object"
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        return f"lacks {', '.join(missing)}"
    text = [k for k in _REQUIRED if k not in ("format", "rows") and not isinstance(meta[k], str)]
    if text:
        return f"{text[0]} is {meta[text[0]]!r}, not text"
    if meta["format"] != FORMAT or isinstance(meta["format"], bool):
        return f"format {meta['format']!r}, this version writes {FORMAT}"
    if (meta["source"], meta["upstream_id"]) != where:
        return f"it records {meta['source']}:{meta['upstream_id']}, not {where[0]}:{where[1]}"
    if not isinstance(meta["rows"], int) or isinstance(meta["rows"], bool) or meta["rows"] < 1:
        return f"rows is {meta['rows']!r}, not a count of rows"
    if not _SHA256.fullmatch(meta["sha256"]):
        return f"sha256 is {meta['sha256']!r}, not a SHA-256 digest"
    for key in ("start", "end"):
        try:
            date.fromisoformat(meta[key])
        except ValueError:
            return f"{key} is {meta[key]!r}, not a YYYY-MM-DD date"
    try:
        fetched = _parse_utc(meta["fetched_at"])
    except ValueError:
        return f"fetched_at is {meta['fetched_at']!r}, not an ISO time"
    if fetched > now + timedelta(days=1):
        return f"fetched_at {meta['fetched_at']!r} is in the future"
    try:
        parse_close(meta["close"])
    except ValueError as exc:
        return str(exc)
    return None


class Cache:
    """The local series cache.

    Parameters
    ----------
    root : folder; default :func:`cache_dir`.
    clock : returns the current UTC time (tests pass a fixed one).
    """

    def __init__(self, root: Path | str | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir()
        self.clock = clock or (lambda: datetime.now(UTC))

    def paths(self, source: str, upstream_id: str) -> tuple[Path, Path]:
        """The data and sidecar files of an entry."""
        stem = urllib.parse.quote(upstream_id, safe="")
        folder = self.root / urllib.parse.quote(source, safe="")
        return folder / f"{stem}.parquet", folder / f"{stem}.json"

    def info(self, source: str, upstream_id: str) -> dict[str, Any] | None:
        """The sidecar record of an entry, or None when there is none.

        Raises
        ------
        SourceError
            When the sidecar is unreadable or truncated, naming it.
        """
        _, meta_path = self.paths(source, upstream_id)
        if not meta_path.is_file():
            return None
        return self._read_meta(meta_path)

    def _read_meta(self, meta_path: Path) -> dict[str, Any]:
        """The sidecar at ``meta_path``, validated field by field (see :func:`_meta_problem`)."""
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise SourceError(
                f"cache: {meta_path} is unreadable or truncated ({exc}); delete it and fetch again "
                "(`jpmacro-bt data fetch SYMBOL`)"
            ) from exc
        where = (urllib.parse.unquote(meta_path.parent.name), urllib.parse.unquote(meta_path.stem))
        problem = _meta_problem(meta, where, self.clock())
        if problem:
            symbol = meta.get("symbol") if isinstance(meta, dict) else None
            raise SourceError(f"cache: {meta_path} is damaged ({problem}); delete it and {_refetch(where[0], symbol)}")
        return meta

    def get(self, source: str, upstream_id: str) -> Bars | None:
        """The cached bars, checked against their sidecar; None when not cached.

        Raises
        ------
        SourceError
            When the data or sidecar is corrupt, truncated or does not match
            (naming the file); callers refetch, or fail when offline.
        """
        data_path, meta_path = self.paths(source, upstream_id)
        meta = self.info(source, upstream_id)
        if meta is None:
            return None
        fix = f"delete {data_path.name} and {_refetch(source, meta['symbol'])}"
        try:
            table = pq.read_table(data_path)
            frame = table.to_pandas().set_index("date")
        except FileNotFoundError as exc:
            raise SourceError(f"cache: {data_path} is missing but {meta_path.name} records it; {fix}") from exc
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            raise SourceError(f"cache: {data_path} is corrupt or truncated ({exc}); {fix}") from exc
        frame.index = pd.DatetimeIndex(frame.index, name="date")
        frame.columns.name = None
        if len(frame) != meta["rows"] or data_sha256(frame) != meta["sha256"]:
            raise SourceError(
                f"cache: {data_path} does not match {meta_path.name} "
                f"({len(frame)} rows, {meta['rows']} recorded; checksum differs); {fix}"
            )
        origin = f"{data_path} (from {meta.get('origin') or source}, fetched {meta['fetched_at']})"
        return Bars(frame, meta["source"], meta["upstream_id"], meta["close"], origin)

    def put(self, bars: Bars, symbol: str) -> Path:
        """Store ``bars`` for ``symbol``, replacing any older entry atomically; returns the data file."""
        if bars.frame.empty:
            raise SourceError(
                f"cache: refusing to store an empty series for {symbol} ({bars.source}:{bars.upstream_id})"
            )
        data_path, meta_path = self.paths(bars.source, bars.upstream_id)
        frame = bars.frame
        table = pa.Table.from_pandas(frame.rename_axis("date").reset_index(), preserve_index=False)
        _atomic_write(data_path, lambda fh: pq.write_table(table, fh))
        meta = {
            "format": FORMAT,
            "source": bars.source,
            "upstream_id": bars.upstream_id,
            "symbol": symbol,
            "start": f"{frame.index[0]:%Y-%m-%d}",
            "end": f"{frame.index[-1]:%Y-%m-%d}",
            "fetched_at": self.clock().astimezone(UTC).isoformat(timespec="seconds"),
            "rows": len(frame),
            "sha256": data_sha256(frame),
            "close": bars.close,
            "origin": bars.origin,
        }
        text = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
        _atomic_write(meta_path, lambda fh: fh.write(text.encode("utf-8")))
        return data_path

    def is_fresh(self, source: str, upstream_id: str) -> bool:
        """True when the entry was fetched today (UTC date of ``fetched_at``)."""
        meta = self.info(source, upstream_id)
        if meta is None:
            return False
        return _parse_utc(meta["fetched_at"]).date() == self.clock().astimezone(UTC).date()

    def entries(self) -> list[dict[str, Any]]:
        """What is cached: one dict per entry with ``symbol``, ``source``, ``upstream_id``,
        ``start``, ``end``, ``rows``, ``fetched_at``, ``age`` (timedelta) and ``path``.

        An unreadable sidecar is listed with an ``error`` message instead of failing.
        """
        now = self.clock()
        out = []
        for meta_path in sorted(self.root.glob("*/*.json")):
            row: dict[str, Any] = {
                "source": urllib.parse.unquote(meta_path.parent.name),
                "upstream_id": urllib.parse.unquote(meta_path.stem),
                "path": str(meta_path.with_suffix(".parquet")),
            }
            try:
                meta = self._read_meta(meta_path)
            except SourceError as exc:
                out.append(row | {"error": str(exc)})
                continue
            row |= {k: meta.get(k) for k in ("symbol", "source", "upstream_id", "start", "end", "rows", "fetched_at")}
            row["age"] = now - _parse_utc(meta["fetched_at"])
            out.append(row)
        return out

    def clear(self, symbol: str | None = None) -> int:
        """Delete the entries of ``symbol`` (all entries and leftovers when None); returns how many."""
        removed = 0
        for meta_path in sorted(self.root.glob("*/*.json")):
            if symbol is not None:
                try:
                    if self._read_meta(meta_path).get("symbol") != symbol:
                        continue
                except SourceError:
                    continue
            meta_path.with_suffix(".parquet").unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            removed += 1
        if symbol is None:
            for leftover in [*self.root.glob("*/*.parquet"), *self.root.glob(f"*/.*{_TMP_SUFFIX}")]:
                leftover.unlink(missing_ok=True)
        return removed
