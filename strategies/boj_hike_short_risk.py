"""Short a risk asset after Bank of Japan rate hikes.

Claim [SOC]: "another hike makes the yen spike and risk assets feel it at
once": a BoJ hike tightens the yen funding of carry trades, so risk assets
sell off. Short ``asset`` (default the Nikkei 225) at the first bar of that
asset that closes after each hike is announced, hold ``hold_days`` bars,
optionally with a stop-loss. A hike inside an open holding window neither
extends it nor, after a stop, re-opens it.

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: the daily close of ``asset`` (a price symbol: NIKKEI225, SPX, BTCUSD,
TLT, ...; ``needs()`` loads the one chosen); the BoJ decision calendar. An FX
pair is priced carry-inclusive (``jpmacro_bt.indicators.traded_price``): its
short pays the interest differential.
Benchmark: cash (the strategy is flat between hikes).
"""

from __future__ import annotations

from dataclasses import dataclass

from jpmacro_bt.indicators import require_price_symbol, traded_price
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param


@dataclass(frozen=True)
class BojHikeShortRisk(Strategy):
    claim = "A BoJ rate hike hits risk assets at once: short the Nikkei after each hike"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = ("NIKKEI225",)
    calendars = ("boj",)

    asset: str = param("NIKKEI225", help="price symbol shorted after each hike, e.g. NIKKEI225, SPX, BTCUSD, TLT", grid=("NIKKEI225", "SPX", "BTCUSD"))
    hold_days: int = param(10, min=1, max=250, help="bars held after entry", grid=(1, 5, 10, 20, 40))
    stop: float | None = param(None, min=0.001, max=0.5, help="stop-loss as a fraction of entry (0.05 = 5 %); none = off", grid=(None, 0.03, 0.05))

    def __post_init__(self) -> None:
        super().__post_init__()
        require_price_symbol(self.asset, "asset", carry=True)

    def needs(self) -> tuple[str, ...]:
        return (self.asset,)

    def signals(self, data, events) -> Signals:
        close = traded_price(data, self.asset, events)
        hikes = events.boj.tradable(data.bar_close(self.asset), decision="hike").reindex(close.index, fill_value=False)
        entries, exits = hold_for(hikes, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits, sl_stop=self.stop)
