"""Long JPY after Bank of Japan rate hikes.

Claim [SOC]: "another hike makes the yen spike": a BoJ hike narrows the US-Japan
rate gap and the yen strengthens. Short USDJPY (= long JPY) at the first bar
that closes after each hike is announced, hold ``hold_days`` bars, optionally
with a stop-loss. A hike inside an open holding window neither extends it nor,
after a stop, re-opens it.

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: USDJPY daily close; the BoJ decision calendar.
Benchmark: always long JPY (holding yen, i.e. the inverse of USDJPY).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.strategy import Signals, Strategy, hold_for, param


@dataclass(frozen=True)
class BojHikeLongJpy(Strategy):
    claim = "A BoJ rate hike makes the yen strengthen: short USDJPY after each hike"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = ("USDJPY",)
    calendars = ("boj",)

    hold_days: int = param(20, min=1, max=250, help="bars held after entry", grid=(1, 5, 10, 20, 40, 60))
    stop: float | None = param(None, min=0.001, max=0.5, help="stop-loss as a fraction of entry (0.03 = 3 %); none = off", grid=(None, 0.01, 0.02, 0.03, 0.05))

    def signals(self, data, events) -> Signals:
        close = data.close("USDJPY")
        hikes = events.boj.tradable(data.bar_close("USDJPY"), decision="hike")
        entries, exits = hold_for(hikes, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.stop)

    def benchmark(self, data) -> pd.Series:
        return (1.0 / data.close("USDJPY")).pct_change().fillna(0.0).rename(self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return "long JPY"
