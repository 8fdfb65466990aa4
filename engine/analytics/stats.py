"""Small statistics over durations: distributions, not just averages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
        ordered = sorted(values)
        return cls.at_ranks(len(ordered), {rank: v for rank, v in enumerate(ordered, start=1)})

    @classmethod
    def at_ranks(cls, count: int, values: dict[int, float]) -> Distribution:
        """The distribution of `count` values from the ones at `RANKS` alone (1: the smallest),
        as `statistics.quantiles(method="inclusive")` cuts them in 5 % steps: a database
        ranks the values and returns only those rows."""
        if not count:
            return cls(0, None, None, None, None, None, None)
        if count == 1:
            v = round(values[1], 1)
            return cls(1, v, v, v, v, v, v)

        def cut(step: int) -> float:  # statistics.quantiles' own arithmetic, at step / 20
            j, delta = divmod(step * (count - 1), CUTS)
            return (values[j + 1] * (CUTS - delta) + values[j + 2] * delta) / CUTS

        return cls(
            count=count,
            minimum=round(values[1], 1),
            p25=round(cut(5), 1),
            median=round(cut(10), 1),
            p75=round(cut(15), 1),
            p90=round(cut(18), 1),
            maximum=round(values[count], 1),
        )


CUTS = 20  # quantiles in 5 % steps
STEPS = (5, 10, 15, 18)  # p25, median, p75, p90


def ranks(count: Any) -> list[Any]:
    """The ranks (1: the smallest) `Distribution.at_ranks` reads of `count` values: the
    smallest, the largest and the two around each cut. `count` may be a SQL expression (the
    same integer arithmetic), so a database can pick those rows."""
    around = [(count - 1) * step // CUTS + offset for step in STEPS for offset in (1, 2)]
    return [1, count, *around]
