"""Shared fixtures: an isolated cache, synthetic markets, and a runner for the CLI."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.data import MarketData
from jpmacro_bt.sources.base import Bars
from jpmacro_bt.symbols import get_symbol


# numba's compile cache outlives the per-test caches below, so repeated runs skip compilation.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".cache" / "numba"))


_connect = socket.socket.connect


def _loopback_only(sock, address):
    """Refuse any connection off this machine: no test may touch the network."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            # An OSError, as a real unreachable network gives, so callers close the socket.
            raise OSError(errno.ENETUNREACH, f"a test tried to reach {address!r}; tests must not touch the network")
    return _connect(sock, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own cache; numba's compile cache stays shared so runs stay fast."""
    monkeypatch.setenv("JPMACRO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def synthetic_series(symbol: str, start: str = "2015-01-01", end: str = "2026-10-30", seed: int = 0) -> pd.DataFrame:
    """A seeded random walk on the symbol's own calendar: business days, or every day for crypto.

    Prices start at 100 with 1 % daily volatility; yields start at 1 % and move a few bp a day;
    levels start at 1000.
    """
    sym = get_symbol(symbol)
    freq = "D" if sym.asset_class == "crypto" else "B"
    index = pd.date_range(start, end, freq=freq, name="date")
    rng = np.random.default_rng(seed + sum(map(ord, symbol)))  # stable across runs, unlike hash()
    if sym.kind == "yield":
        values = 1.0 + np.cumsum(rng.normal(0, 0.03, len(index)))
    elif sym.kind == "level":
        values = 1000 + np.cumsum(rng.normal(0, 5, len(index)))
    else:
        values = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index))))
    return pd.DataFrame({"close": values}, index=index)


def make_market(symbols, **kwargs) -> MarketData:
    """MarketData of synthetic series, each stamped with its home market's close."""
    return MarketData({s: Bars(synthetic_series(s, **kwargs), "synthetic", s, get_symbol(s).close) for s in symbols})


def market_from(closes: dict[str, pd.Series], close_time: str = "14:15 Europe/Berlin") -> MarketData:
    """MarketData from hand-made close series, all closing at ``close_time``."""
    return MarketData(
        {s: Bars(c.to_frame("close").rename_axis("date").astype(float), "test", s, close_time) for s, c in closes.items()}
    )
