"""The budget of refused deliveries the ingress writes down (workers/ingress/budget.py)."""
from __future__ import annotations

from workers.ingress.budget import RecordingBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def takes(budget: RecordingBudget, source: str, n: int) -> int:
    return sum(budget.take(source) for _ in range(n))


def test_a_source_gets_its_burst_then_its_rate():
    clock = Clock()
    budget = RecordingBudget(burst=5, per_second=0.5, total_burst=1000, total_per_second=100,
                             clock=clock)
    assert takes(budget, "10.0.0.1", 50) == 5
    clock.now += 10  # 0.5/s for 10 s: five more
    assert takes(budget, "10.0.0.1", 50) == 5
    clock.now += 3600  # refill stops at the burst
    assert takes(budget, "10.0.0.1", 50) == 5


def test_one_flooding_source_leaves_the_others_their_share():
    clock = Clock()
    budget = RecordingBudget(burst=5, per_second=0.0, total_burst=20, total_per_second=0.0,
                             clock=clock)
    assert takes(budget, "attacker", 1000) == 5
    assert takes(budget, "store", 3) == 3


def test_many_sources_cannot_exceed_the_total():
    clock = Clock()
    budget = RecordingBudget(burst=5, per_second=1.0, total_burst=50, total_per_second=1.0,
                             max_sources=100, clock=clock)
    assert sum(takes(budget, f"10.0.{i // 256}.{i % 256}", 5) for i in range(10_000)) == 50
    assert len(budget._sources) == 100  # the table of sources stays bounded
    clock.now += 10
    assert sum(takes(budget, f"10.1.0.{i}", 5) for i in range(100)) == 10
