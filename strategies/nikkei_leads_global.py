"""Trade New York in the direction of Tokyo's day: the Nikkei leads.

Claim [CF]: the Nikkei leads and ES, crude and gold follow. Tokyo closes
before New York opens, so at the first close of ``asset`` (default the S&P
500) after the Nikkei's close of day D, take a position in the direction of
the Nikkei's move on D (close D-1 to close D, when larger than ``min_move``),
hold it to the asset's next close, and decide again there.

What is captured, exactly: with daily closes only, the earliest price after
Tokyo's close of D (15:00 Tokyo = 06:00 UTC) is the asset's close of D (16:00
New York for SPX). The position earns the asset's return from close D to close
D+1: the New York session of D+1 and the night before it. The session of D
itself, which also follows Tokyo's close, is not captured: that needs the
asset's open of D (entering at its close of D-1 would use the Nikkei move
before it happened). A Nikkei close reaches the asset through the as-of rule
of ``MarketData.panel`` and is used once; a day Tokyo is shut gives no signal
(flat).

Source: Capital Flows Research, "Regime Shift In Japan: The Melt Up Before The Crash" (2026-01-09).
Requires: ``asset`` (SPX, GOLD, WTI, ES, ...) and NIKKEI225 daily closes;
``needs()`` loads the asset chosen. WTI settled below zero on 2020-04-20 and a
traded price must be positive: run it with --start 2020-04-21 or later. An FX
``asset`` is priced carry-inclusive (``jpmacro_bt.indicators.traded_price``).
Benchmark: buy and hold ``asset``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.events import load_events
from jpmacro_bt.indicators import align, buy_and_hold, needed, require_price_symbol, returns, to_target_weights, traded_price
from jpmacro_bt.strategy import Signals, Strategy, param


@dataclass(frozen=True)
class NikkeiLeadsGlobal(Strategy):
    claim = "The Nikkei leads global risk: trade the next New York session in the direction of Tokyo's day"
    source = "[CF] Capital Flows Research, 'Regime Shift In Japan: The Melt Up Before The Crash', 2026-01-09"
    symbols = ("SPX", "NIKKEI225")

    asset: str = param("SPX", help="price symbol traded after Tokyo's close, e.g. SPX, ES, GOLD, WTI", grid=("SPX", "GOLD"))
    min_move: float = param(0.0, min=0.0, max=0.2, help="smallest Nikkei daily move that gives a signal, fraction (0.005 = 0.5 %)", grid=(0.0, 0.005, 0.01, 0.02))
    long_only: bool = param(False, help="only follow up-days (flat after down-days); true/false", grid=(False, True))

    def __post_init__(self) -> None:
        super().__post_init__()
        require_price_symbol(self.asset, "asset", carry=True)

    def needs(self) -> tuple[str, ...]:
        return needed(self.asset, "NIKKEI225")

    def signals(self, data, events) -> Signals:
        close = traded_price(data, self.asset, events)
        move = returns(data.close("NIKKEI225"), 1)
        seen = align(data, self.asset, {"move": (move, data.bars["NIKKEI225"].close)}, max_fill=0)["move"].reindex(close.index)
        up = seen > self.min_move
        down = (seen < -self.min_move) & (not self.long_only)
        # Target weights, not signals: the runner's percent sizing cannot reverse long to short in one bar.
        state = up.astype(float) - down.astype(float)
        return Signals(close=close, target_weights=to_target_weights(state, 1.0))

    def benchmark(self, data) -> pd.Series:
        return buy_and_hold(traded_price(data, self.asset, load_events()), self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return f"buy and hold {self.asset}"
