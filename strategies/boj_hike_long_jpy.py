"""Long JPY after Bank of Japan rate hikes.

Claim [SOC]: "another hike makes the yen spike": a BoJ hike narrows the US-Japan
rate gap and the yen strengthens. Short USDJPY (= long JPY) at the first bar
that closes after each hike is announced, hold ``hold_days`` bars, optionally
with a stop-loss. A hike inside an open holding window neither extends it nor,
after a stop, re-opens it. With ``carry`` (the default) USDJPY is priced
carry-inclusive (``jpmacro_bt.carry``): a short USDJPY pays the US policy rate
and earns the Japanese one for every day held, as a real long-yen position does;
``carry=false`` trades spot, for studies of the exchange rate alone.

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: USDJPY daily close; the BoJ decision calendar; for the carry, the BoJ
and FOMC policy rates (the priced history starts where both are known, 1998).
Benchmark: always long JPY (the inverse of the USDJPY price traded, so carry-inclusive too).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.events import load_events
from jpmacro_bt.indicators import buy_and_hold, traded_price
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param


@dataclass(frozen=True)
class BojHikeLongJpy(Strategy):
    claim = "A BoJ rate hike makes the yen strengthen: short USDJPY after each hike"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = ("USDJPY",)
    calendars = ("boj", "fomc")

    hold_days: int = param(20, min=1, max=250, help="bars held after entry", grid=(1, 5, 10, 20, 40, 60))
    stop: float | None = param(None, min=0.001, max=0.5, help="stop-loss as a fraction of entry (0.03 = 3 %); none = off", grid=(None, 0.01, 0.02, 0.03, 0.05))
    carry: bool = param(True, help="price USDJPY with the US-Japan policy-rate carry (true) or spot only (false)", grid=())

    def signals(self, data, events) -> Signals:
        close = traded_price(data, "USDJPY", events, carry=self.carry)
        hikes = events.boj.tradable(data.bar_close("USDJPY"), decision="hike").reindex(close.index, fill_value=False)
        entries, exits = hold_for(hikes, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.stop)

    def benchmark(self, data) -> pd.Series:
        return buy_and_hold(1.0 / traded_price(data, "USDJPY", load_events(), carry=self.carry), self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return "long JPY"
