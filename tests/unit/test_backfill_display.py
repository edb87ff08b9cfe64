"""`wooerp backfill start|status --follow`: the progress display keeps every
counter readable in an 80-column terminal."""
from __future__ import annotations

import asyncio

from rich.console import Console

from workers.cli.backfill import follow
from workflows.backfill_types import BackfillProgress


def progress(**changes) -> BackfillProgress:
    base = dict(workflow_id="backfill:default:2024-01-01:2024-12-31", store="default",
                mode="book", phase="paging", paused=False, pages=7, seen=650, started=512,
                known=31, booked=480, parked=2, in_flight=20, unpaid=93, linked=0, not_linked=0,
                quarantined=14, refunds_started=5, throttled_seconds=0.0, elapsed_seconds=13.0,
                estimated_total=1300, quarantine=[], unpaid_ids=[], not_linked_ids=[],
                done=False)
    return BackfillProgress(**{**base, **changes})


class Sagas:
    """The two calls `follow` makes, answering a running backfill, then its end."""

    def __init__(self) -> None:
        self.answers = [progress(), progress(phase="done", done=True, pages=13, seen=1300)]

    async def backfill_progress(self, wid: str) -> BackfillProgress:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    async def backfill_running(self, wid: str) -> bool:
        return True


def test_every_counter_of_the_live_display_fits_in_80_columns():
    console = Console(width=80, record=True, force_terminal=True, color_system=None)
    asyncio.run(follow(Sagas(), "backfill:default:2024-01-01:2024-12-31", console))
    shown = console.export_text()
    live = shown.split("backfill:default:")[0]  # the display, before the summary line
    last = live[live.rindex("done"):]  # its last frame (the record holds every refresh)
    for part in ("1300/1300", "0:00:", "pages 13", "started 512", "known 31",
                 "quarantined 14", "unpaid 93", "100.0/s"):
        assert part in last, (part, last)
    assert all(len(line) <= 80 for line in last.splitlines()), last


class EndsBetweenTheCalls(Sagas):
    """The progress query answers 'draining', then the last saga settles and
    the workflow completes before `follow` asks whether it still runs."""

    def __init__(self) -> None:
        self.answers = [progress(phase="draining", in_flight=1, booked=3),
                        progress(phase="done", done=True, in_flight=0, booked=4)]

    async def backfill_running(self, wid: str) -> bool:
        return False


def test_a_backfill_that_ends_between_two_polls_is_summed_up_by_its_final_state():
    console = Console(width=100, record=True, force_terminal=True, color_system=None)
    last = asyncio.run(follow(EndsBetweenTheCalls(), "backfill:default:2024-01-01:2024-12-31",
                              console))
    assert last is not None and last.done and last.booked == 4
    summary = console.export_text().split("backfill:default:2024-01-01:2024-12-31: ")[-1]
    assert summary.startswith("done;") and "4 booked, 0 in flight" in summary, summary
