"""Buy the carry-unwind crash.

Claim [RB]: there is some carry unwinding, but panic selling is premature: a
crash driven by forced selling overshoots and recovers (5 August 2024: the
Nikkei fell 12 % in a day and regained most of it within days). When ``asset``
(default the Nikkei 225) has fallen more than ``drop`` over ``bars`` bars while
the yen spikes (USDJPY down more than ``yen_threshold`` over ``yen_bars`` bars,
the carry-unwind signal of ``carry_unwind_short_risk``), buy at that close and
hold ``hold_days`` bars, optionally with a stop-loss.

Timing: the yen move is measured on USDJPY's bars and reaches the asset by the
as-of rule of ``MarketData.panel`` (for the Nikkei: the previous day's
fixing, the latest public at the Tokyo close).

Source: a rebuttal of the "Japan dumps Treasuries" thread (late January 2026).
Requires: ``asset`` and USDJPY daily closes (``needs()`` loads the asset chosen).
An FX ``asset`` is priced carry-inclusive (``jpmacro_bt.indicators.traded_price``).
Benchmark: buy and hold ``asset``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.events import load_events
from jpmacro_bt.indicators import align_flags, buy_and_hold, needed, require_price_symbol, returns, traded_price, yen_spike
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param


@dataclass(frozen=True)
class FadeThePanic(Strategy):
    claim = "Panic selling in a carry unwind is premature: buy the crash when stocks plunge as the yen spikes"
    source = "[RB] rebuttal of the 'Japan dumps Treasuries' thread, late January 2026"
    symbols = ("NIKKEI225", "USDJPY")

    asset: str = param("NIKKEI225", help="price symbol bought after the crash, e.g. NIKKEI225, SPX, BTCUSD", grid=("NIKKEI225", "SPX", "BTCUSD"))
    bars: int = param(3, min=1, max=60, help="look-back of the asset's fall, bars", grid=())
    drop: float = param(0.08, min=0.01, max=0.9, help="fall of the asset that counts as a crash, fraction (0.08 = 8 %)", grid=(0.05, 0.08, 0.12))
    yen_bars: int = param(5, min=1, max=60, help="look-back of the USDJPY move, USDJPY bars", grid=())
    yen_threshold: float = param(0.02, min=0.001, max=0.5, help="USDJPY fall that counts as a yen spike, fraction (0.02 = 2 %)", grid=(0.01, 0.02, 0.03))
    hold_days: int = param(20, min=1, max=250, help="bars held after entry", grid=(5, 10, 20, 60))
    stop: float | None = param(None, min=0.001, max=0.9, help="stop-loss as a fraction of entry (0.10 = 10 %); none = off", grid=())

    def __post_init__(self) -> None:
        super().__post_init__()
        require_price_symbol(self.asset, "asset", carry=True)

    def needs(self) -> tuple[str, ...]:
        return needed(self.asset, "USDJPY")

    def signals(self, data, events) -> Signals:
        spot = data.close(self.asset)
        spike = yen_spike(data.close("USDJPY"), self.yen_bars, self.yen_threshold)
        seen = align_flags(data, self.asset, {"spike": (spike, data.bars["USDJPY"].close)})["spike"]
        yen_spiking = seen.reindex(spot.index, fill_value=False)
        crash = (returns(spot, self.bars) < -self.drop) & yen_spiking
        close = traded_price(data, self.asset, events)
        crash = crash.reindex(close.index, fill_value=False)
        entries, exits = hold_for(crash, self.hold_days)
        return Signals(close=close, entries=entries, exits=exits, sl_stop=self.stop)

    def benchmark(self, data) -> pd.Series:
        return buy_and_hold(traded_price(data, self.asset, load_events()), self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return f"buy and hold {self.asset}"
