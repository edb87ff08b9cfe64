"""`wooerp demo`: its verdicts, a busy port, and one whole run on free ports."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.demo.report import problems
from sandbox.demo.scenarios import Outcome
from workers.devstack.ports import free_port

WOOERP = Path(sys.executable).parent / "wooerp"
USD = "USD"


def _saga(stage: str, erp_total: str | None = "19.80", last_error: str | None = None) -> dict:
    return {"stage": stage, "erp_document": "7", "last_error": last_error,
            "erp_total": {"amount": erp_total, "currency": USD} if erp_total else None}


def _order(kind: str, saga: dict, total: str = "19.80", status: str = "completed", **kw
           ) -> Outcome:
    woo = {"id": 5, "total": total, "currency": USD, "status": status}
    return Outcome(kind, order_id=5, placed=woo, woo_order=woo, saga=saga, **kw)


def _refunded(store_refunds: list[dict], stage: str = "completed", note: str | None = "CN1"
              ) -> Outcome:
    refund = {"stage": stage, "amount": {"amount": "9.90", "currency": USD},
              "woo_refund_id": 8, "credit_note": note, "decided_by": "m", "last_error": None}
    return _order("refund", _saga("closed"), refund=refund, store_refunds=store_refunds)


def test_expected_outcomes_pass():
    assert problems(_order("plain", _saga("closed"))) == []
    assert problems(_order("cancelled", _saga("cancelled"), status="cancelled")) == []
    assert problems(_order("unmapped", _saga("needs_attention", None, "SKU X"))) == []
    assert problems(_refunded([{"id": 8, "amount": "9.90"}])) == []


@pytest.mark.parametrize("outcome, complaint", [
    (_order("plain", _saga("closed", "19.70")), "!= ERP total"),
    (_order("plain", _saga("needs_attention", None, "ERP down")), "expected closed: ERP down"),
    (_order("cancelled", _saga("closed")), "expected cancelled"),
    (_order("cancelled", _saga("cancelled"), status="processing"), "not cancelled"),
    (_order("unmapped", _saga("closed")), "expected needs_attention"),
    (_refunded([]), "not on the store order"),
    (_refunded([{"id": 8, "amount": "19.80"}]), "saga says 9.90"),
    (_refunded([{"id": 8, "amount": "9.90"}], note=None), "no credit note"),
    (_refunded([{"id": 8, "amount": "9.90"}], stage="needs_attention"), "refund ended"),
    (Outcome("plain", error="timed out after 300 s"), "timed out"),
])
def test_unexpected_outcomes_are_named(outcome, complaint):
    assert any(complaint in p for p in problems(outcome)), problems(outcome)


def _ports() -> list[str]:
    return [arg for flag in ("--port", "--ui-port", "--erp-port", "--store-port", "--ingress-port")
            for arg in (flag, str(free_port()))]


def test_a_busy_port_is_named_before_anything_starts(tmp_path):
    ports = _ports()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(ports[7])))  # the store's
        taken.listen()
        run = subprocess.run([str(WOOERP), "demo", "--data-dir", str(tmp_path), *ports],
                             capture_output=True, text=True, timeout=60,
                             env={**os.environ, "COLUMNS": "200"})
    assert run.returncode == 1
    assert f"port already in use: {ports[7]} (sandbox store)" in run.stdout
    assert not (tmp_path / "logs" / "demo-dev.log").exists()


@pytest.mark.e2e
@pytest.mark.timeout(660)  # the demo's own bound (--timeout 240) plus start, reconcile and stop
def test_the_demo_runs_to_a_clean_summary_and_stops_the_stack(tmp_path):
    ports = _ports()
    run = subprocess.run([str(WOOERP), "demo", "--orders", "0", "--data-dir", str(tmp_path),
                          "--timeout", "240", *ports],
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "COLUMNS": "200"})
    assert run.returncode == 0, run.stdout[-4000:]
    assert "all 5 sagas ended as expected" in run.stdout
    assert "SKU WOO-UNMAPPED is not mapped" in run.stdout
    assert "every difference between the store and the ERP is explained" in run.stdout
    assert "stack stopped." in run.stdout
    assert not (tmp_path / "dev.json").exists()  # `wooerp dev` removed it on its way out
    secrets = (tmp_path / "dev-secrets.json").read_text()
    for value in json.loads(secrets).values():
        assert value not in run.stdout  # keys and tokens stay in the files
