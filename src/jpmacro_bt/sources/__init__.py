"""Data sources: one small module each, all returning :class:`Bars`.

A source turns an upstream identifier into a daily series whose index is the
bar's local date (tz-naive, ascending, unique) and whose values are floats.
Nothing here touches the network in tests: sources that download take an
injectable fetcher.
"""

from __future__ import annotations

from jpmacro_bt.sources.base import Bars, Source

__all__ = ["Bars", "Source"]
