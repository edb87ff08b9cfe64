"""Recorded workflow histories for the replay tests (tests/histories/).

The e2e tests that finish a saga the way a replay test wants to see it call
`keep_history(handle, name)`. It writes only when WOOERP_RECORD_HISTORIES=1:

    WOOERP_RECORD_HISTORIES=1 .venv/bin/pytest tests/e2e -q

Re-record after a deliberate, versioned change to a workflow (and commit the
new files); a change that breaks replay of the old ones is a change that
would break sagas already running in production.
"""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from temporalio.client import WorkflowHandle, WorkflowHistory

HISTORIES = Path(__file__).resolve().parent.parent / "histories"


def recording() -> bool:
    return os.environ.get("WOOERP_RECORD_HISTORIES") == "1"


async def keep_history(handle: WorkflowHandle, name: str) -> None:
    if not recording():
        return
    await asyncio.wait_for(handle.result(), timeout=60)  # the whole run, to its end
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    # Pretty-printed, so a re-recording shows up as a readable diff.
    recorded = {"workflow_id": history.workflow_id, "history": json.loads(history.to_json())}
    (HISTORIES / f"{name}.json").write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")


def recorded_histories() -> list[WorkflowHistory]:
    histories = []
    for path in sorted(HISTORIES.glob("*.json")):
        recorded = json.loads(path.read_text())
        histories.append(WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"]))
    return histories
