"""The one place that talks HTTP, and the retry loop downloading sources share.

Sources that download take ``fetcher: Callable[[str], bytes]``; tests pass a
fake one, so nothing under ``tests/`` reaches the network. :func:`http_get` is
the real fetcher: a plain ``urllib`` GET that turns every failure into a
:class:`~jpmacro_bt.errors.SourceError` naming the URL and what to do instead.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import TypeVar

from jpmacro_bt.errors import SourceError

__all__ = ["OFFLINE_HINT", "Fetcher", "http_get", "retry"]

Fetcher = Callable[[str], bytes]

OFFLINE_HINT = "check the network, or pass --data-dir DIR, or --offline to use the cache"

_USER_AGENT = "jpmacro-bt/0.1 (+offline-first backtests)"

T = TypeVar("T")


def http_get(url: str, *, timeout: float = 30.0) -> bytes:
    """Download ``url`` and return the body.

    Raises
    ------
    SourceError
        On an HTTP error status, a timeout or an unreachable host; the message
        names the URL and the way around it.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}; check the identifier, or {OFFLINE_HINT}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        host = urllib.parse.urlsplit(url).netloc or url
        raise SourceError(f"cannot reach {host} ({reason}); {OFFLINE_HINT}") from exc


def retry(
    call: Callable[[], T],
    *,
    attempts: int,
    base_delay: float,
    is_transient: Callable[[BaseException], bool],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; on a transient error wait ``base_delay * 2**k`` and try again.

    Non-transient errors propagate at once; after ``attempts`` tries the last
    transient error propagates.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    failures = 0
    while True:
        try:
            return call()
        except Exception as exc:
            failures += 1
            if failures >= attempts or not is_transient(exc):
                raise
            sleep(base_delay * 2 ** (failures - 1))
