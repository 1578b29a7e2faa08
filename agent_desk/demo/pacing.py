"""How fast the demo's people live: every human pause goes through one speed factor.

At speed 1 the floor moves like a real one (people read, type and think for seconds); tests
run the same behaviour at a high speed, where those seconds become milliseconds.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field


@dataclass
class Pace:
    """Human pauses, scaled by ``speed``.

    Attributes:
        speed: how many times faster than real life; must be above 0.
        rng: where the pauses' spread comes from.
    """

    speed: float = 1.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError("speed must be above 0")

    def seconds(self, base: float, spread: float = 0.5, tempo: float = 1.0) -> float:
        """``base`` seconds, spread randomly by ±``spread``, stretched by ``tempo``, at this speed."""
        return max(0.0, base * self.rng.uniform(1 - spread, 1 + spread) * tempo / self.speed)

    async def pause(self, base: float, spread: float = 0.5, tempo: float = 1.0) -> None:
        """Sleep for :meth:`seconds`."""
        await asyncio.sleep(self.seconds(base, spread, tempo))

    def real(self, base: float) -> float:
        """``base`` seconds of life at this speed, without spread (timeouts, deadlines)."""
        return base / self.speed
