"""The demo's last word: the day's reconciliation, as finance would read it.

Runs `wooerp reconcile run` and `wooerp report variance` against the demo's
stack, exactly as an operator would (the settings come from dev.json), and
checks the report: every difference explained, the unmapped order attributed
to its parked saga."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

WOOERP = Path(sys.executable).parent / "wooerp"
TIMEOUT = 240


def _env(info: dict[str, Any], width: int) -> dict[str, str]:
    key = info["store"].upper()
    return {**os.environ, "COLUMNS": str(width),  # the report's tables fit the demo's
            "WOOERP_DATA_DIR": info["data_dir"],  # the codec keys the stack encrypts with
            "WOOERP_DATABASE_URL": info["ledger"],
            "WOOERP_TEMPORAL__ADDRESS": info["temporal_address"],
            "WOOERP_TEMPORAL__NAMESPACE": info["temporal_namespace"],
            f"WOOERP_STORES__{key}__URL": info["store_url"],
            f"WOOERP_STORES__{key}__CONSUMER_KEY": info["store_consumer_key"],
            f"WOOERP_STORES__{key}__CONSUMER_SECRET": info["store_consumer_secret"]}


def _cli(info: dict[str, Any], *args: str, width: int = 160
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WOOERP), *args], env=_env(info, width), capture_output=True,
                          text=True, timeout=TIMEOUT)


def variance_report(console: Console, info: dict[str, Any]) -> list[str]:
    """Reconcile today, print the report; the problems found (empty: all explained)."""
    store, today = info["store"], datetime.now(timezone.utc).date().isoformat()
    console.print(f"\n[bold]Reconciliation of {store} for {today}[/] "
                  f"(`wooerp reconcile run {store} --date {today}`)")
    ran = _cli(info, "reconcile", "run", store, "--date", today)
    if ran.returncode != 0:
        return [f"the reconciliation failed: {(ran.stderr or ran.stdout).strip()[-500:]}"]
    shown = _cli(info, "report", "variance", store, "--from", today, width=console.width)
    console.print(shown.stdout.rstrip(), highlight=False, markup=False)
    data = _cli(info, "report", "variance", store, "--from", today, "--format", "json")
    if data.returncode != 0:
        return [f"the report could not be read: {data.stderr.strip()[-500:]}"]
    days = json.loads(data.stdout)
    problems = []
    variances = [v for d in days for v in d["variances"]]
    unexplained = [v for v in variances if v["cause"] == "unexplained"]
    if unexplained:
        total = sum(Decimal(v["difference"]["amount"]) for v in unexplained)
        problems.append(f"{len(unexplained)} unexplained variance(s), {total}")
    if not any(v["cause"] == "parked" and "is not mapped" in v["evidence"] for v in variances):
        problems.append("the unmapped order is not attributed to its parked saga")
    return problems
