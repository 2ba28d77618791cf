"""Long JPY when the US-Japan yield spread narrows fast.

Claim [SOC]: "the US-Japan yield spread tightens" and the yen follows: a
narrower rate gap makes dollar assets less attractive to yen investors. When
the ``tenor`` spread (UST minus JGB, in basis points) has narrowed by more than
``narrow_bp`` over ``bars`` USDJPY bars, short USDJPY (= long JPY) and hold
``hold_days`` bars, optionally with a stop-loss. With ``carry`` (the default)
the position is priced carry-inclusive (``jpmacro_bt.carry``): a short USDJPY
pays the US policy rate and earns the Japanese one for every day held, about
5 % a year in 2023.

Timing: the spread is read on USDJPY's bars (the ECB fixing, 14:15 Frankfurt)
by the as-of rule of ``MarketData.panel``: that day's JGB close (Tokyo, earlier
the same day) and the previous New York close of the Treasury yield; the two
legs are hours apart, never from the future.

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: USDJPY; UST2Y and JGB2Y (tenor 2y) or UST10Y and JGB10Y (tenor
10y), only the chosen pair being loaded (``needs()``); for the carry, the BoJ
and FOMC calendars (policy rates back-filled before they start from
``calendars/policy_rates.csv``, so the priced history starts in October 2010;
a run without --start begins with the FOMC calendar, 2022).
Benchmark: always long JPY (the inverse of the USDJPY price traded).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.events import load_events
from jpmacro_bt.indicators import buy_and_hold, change_bp, traded_price
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param

TENORS = {"2y": ("UST2Y", "JGB2Y"), "10y": ("UST10Y", "JGB10Y")}


@dataclass(frozen=True)
class SpreadTighteningLongJpy(Strategy):
    claim = "A narrowing US-Japan yield spread strengthens the yen: long JPY after a fast narrowing"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = ("USDJPY", "UST2Y", "JGB2Y")
    calendars = ("boj", "fomc")

    tenor: str = param("2y", help="spread tenor: '2y' (UST2Y-JGB2Y) or '10y' (UST10Y-JGB10Y)", grid=tuple(TENORS), choices=tuple(TENORS))
    bars: int = param(10, min=1, max=120, help="look-back of the spread change, USDJPY bars", grid=(5, 10, 20))
    narrow_bp: float = param(25.0, min=1.0, max=300.0, help="narrowing that fires, basis points", grid=(15.0, 25.0, 40.0))
    hold_days: int = param(20, min=1, max=250, help="bars held after entry", grid=(10, 20))
    stop: float | None = param(None, min=0.001, max=0.5, help="stop-loss as a fraction of entry (0.03 = 3 %); none = off", grid=())
    carry: bool = param(True, help="price USDJPY with the US-Japan policy-rate carry (true) or spot only (false)", grid=())

    def needs(self) -> tuple[str, ...]:
        return ("USDJPY", *TENORS[self.tenor])

    def signals(self, data, events) -> Signals:
        us, jp = TENORS[self.tenor]
        close = self._usdjpy(data, events)
        panel = data.panel(["USDJPY", us, jp], calendar="USDJPY")
        spread = panel[us] - panel[jp]
        fired = (change_bp(spread, self.bars) < -self.narrow_bp).reindex(close.index, fill_value=False)
        entries, exits = hold_for(fired, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.stop)

    def _usdjpy(self, data, events) -> pd.Series:
        return traded_price(data, "USDJPY", events, carry=self.carry)

    def benchmark(self, data) -> pd.Series:
        return buy_and_hold(1.0 / self._usdjpy(data, load_events()), self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return "long JPY"
