"""Short risk assets when the yen strengthens fast: the carry trade is unwinding.

Claim [SOC]: as rates rise and the yen strengthens, the yen carry trade unwinds:
margin calls and forced selling hit risk assets. When USDJPY falls more than
``threshold`` over ``k`` bars (``trigger="return"``), or that move's
z-score against the last ``window`` such moves is below ``-z``
(``"zscore"``), or either (``"either"``), short ``asset`` at its next close
and hold ``hold`` bars, leaving early when the yen move reverses
(USDJPY's ``k``-bar return back above ``reversal``).

Timing: the yen move is measured on USDJPY's own bars and reaches each traded
asset through the as-of rule of ``MarketData.panel`` (only USDJPY closes public
before the asset's close, each used once). ``asset="basket"`` shorts NIKKEI225,
SPX and BTCUSD, a third of equity each, each at its own close. An FX ``asset``
is priced carry-inclusive (``jpmacro_bt.indicators.traded_price``).

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: ``asset`` and USDJPY daily closes (for the basket: NIKKEI225, SPX,
BTCUSD); ``needs()`` loads exactly these. Each asset of the basket pays its own
asset class's default fees, slippage and borrow (Bitcoin as crypto, the Nikkei
and the S&P 500 as equities) unless --fees/--slippage/--borrow sets one for all.
Benchmark: cash (the strategy is flat most of the time).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.indicators import (
    align,
    align_flags,
    hold_until,
    latch,
    needed,
    require_price_symbol,
    returns,
    to_basket,
    to_target_weights,
    traded_price,
    yen_spike,
)
from jpmacro_bt.strategy import Signals, Strategy, param

BASKET = ("NIKKEI225", "SPX", "BTCUSD")
TRIGGERS = ("return", "zscore", "either")


@dataclass(frozen=True)
class CarryUnwindShortRisk(Strategy):
    claim = "A fast yen rally is a carry unwind that hits risk assets: short them when USDJPY drops sharply"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = ("NIKKEI225", "USDJPY")

    asset: str = param("NIKKEI225", help="price symbol to short, or 'basket' (NIKKEI225+SPX+BTCUSD, equal weights)", grid=("NIKKEI225", "SPX", "BTCUSD", "basket"))
    k: int = param(5, min=1, max=60, help="look-back of the USDJPY move, bars", grid=(3, 5, 10))
    trigger: str = param("return", help="what fires: 'return' (move below -threshold), 'zscore' (z-score below -z) or 'either'", grid=(), choices=TRIGGERS)
    threshold: float = param(0.03, min=0.001, max=0.5, help="USDJPY fall over `k` bars that fires, fraction (0.03 = 3 %)", grid=(0.02, 0.03, 0.05))
    z: float = param(2.5, min=0.5, max=10.0, help="z-score of the move that fires, standard deviations", grid=())
    window: int = param(250, min=20, max=2500, help="trailing window of the z-score, bars", grid=())
    hold: int = param(10, min=1, max=250, help="bars held at most", grid=(5, 10, 20))
    reversal: float | None = param(0.0, min=-0.2, max=0.2, help="exit early when the USDJPY move over `k` bars rises above this, fraction; none = off", grid=())

    def __post_init__(self) -> None:
        super().__post_init__()
        require_price_symbol(self.asset, "asset", extra=("basket",), carry=True)

    def needs(self) -> tuple[str, ...]:
        return needed(*(BASKET if self.asset == "basket" else (self.asset,)), "USDJPY")

    def _short_state(self, data, asset: str, index: pd.Index, fired: pd.Series, move: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Entries, exits and the held state of a short in ``asset`` on its bars ``index``."""
        fx_close = data.bars["USDJPY"].close
        # fired is defined wherever move is, so the flag and the move share their rows.
        entries = align_flags(data, asset, {"fired": (fired, fx_close)}, max_fill=0)["fired"].reindex(index, fill_value=False)
        if self.reversal is not None:
            back = align(data, asset, {"move": (move, fx_close)}, max_fill=0)["move"] > self.reversal
        else:
            back = pd.Series(False, index=index)
        entries, exits = hold_until(entries, self.hold, back.reindex(index, fill_value=False))
        return entries, exits, latch(entries, exits)

    def signals(self, data, events) -> Signals:
        usdjpy = data.close("USDJPY")
        fired = yen_spike(
            usdjpy,
            self.k,
            self.threshold if self.trigger in ("return", "either") else None,
            self.z if self.trigger in ("zscore", "either") else None,
            self.window,
        )
        move = returns(usdjpy, self.k)
        if self.asset != "basket":
            close = traded_price(data, self.asset, events)
            entries, exits, _ = self._short_state(data, self.asset, close.index, fired, move)
            return Signals(close=close, short_entries=entries, short_exits=exits)
        weights = {
            a: to_target_weights(-self._short_state(data, a, data.close(a).index, fired, move)[2].astype(float), 1.0 / len(BASKET))
            for a in BASKET
        }
        close, target = to_basket({a: data.close(a) for a in BASKET}, weights)
        return Signals(close=close, target_weights=target)
