"""Small statistics over durations: distributions, not just averages."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import quantiles


@dataclass
class Distribution:
    count: int
    minimum: float | None
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None
    maximum: float | None

    @classmethod
    def of(cls, values: list[float]) -> Distribution:
        if not values:
            return cls(0, None, None, None, None, None, None)
        ordered = sorted(values)
        if len(ordered) == 1:
            v = round(ordered[0], 1)
            return cls(1, v, v, v, v, v, v)
        cuts = quantiles(ordered, n=20, method="inclusive")  # 5 % steps
        return cls(
            count=len(ordered),
            minimum=round(ordered[0], 1),
            p25=round(cuts[4], 1),
            median=round(cuts[9], 1),
            p75=round(cuts[14], 1),
            p90=round(cuts[17], 1),
            maximum=round(ordered[-1], 1),
        )
