"""Replay of recorded real runs (tests/histories/, see tests/e2e/histories.py).

A workflow change that would make a saga already running in production take
a different path on replay must fail here, before it is deployed.
"""
from __future__ import annotations

import pytest
from temporalio import workflow
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from tests.e2e.histories import HISTORIES, recorded_histories
from tests.e2e.saga_variants import OrderSagaThatWaitsFirst, OrderSagaWithAnExtraLookup
from workers.config.keyring import KeyRing, new_key_line
from workers.sagas.codec import data_converter
from workflows.order_saga import OrderSaga
from workflows.refund_saga import RefundSaga
from workflows.return_saga import ReturnSaga

# v1_*: recorded before the workflow.patched() changes (sagas started by an
# earlier release, still running); the rest: recorded with the current code.
ORDERS = {"order_closed", "order_cancelled", "order_parked_then_retried"}
EXPECTED = {*ORDERS, *(f"v1_{name}" for name in ORDERS),
            "order_trashed_then_restored", "order_parked_auto_retried",
            "refund_approved", "refund_from_woo_admin", "return_partial_receipt",
            "refund_money_by_hand", "refund_kept_tax"}


# The product's converter, without and with the payload codec: histories
# recorded before encryption was turned on must replay on workers that have it.
PLAIN = data_converter(None)
ENCRYPTED = data_converter(KeyRing.parse(new_key_line()))


def _replayer(*workflows: type, converter: DataConverter = ENCRYPTED) -> Replayer:
    return Replayer(workflows=list(workflows), data_converter=converter)


@pytest.mark.parametrize("converter", [PLAIN, ENCRYPTED], ids=["codec off", "codec on"])
async def test_every_recorded_history_replays(converter: DataConverter):
    assert EXPECTED <= {p.stem for p in HISTORIES.glob("*.json")}
    replayer = _replayer(OrderSaga, RefundSaga, ReturnSaga, converter=converter)
    for history in recorded_histories():
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{history.workflow_id}: {result.replay_failure}"


@pytest.mark.parametrize("changed", [OrderSagaWithAnExtraLookup, OrderSagaThatWaitsFirst])
async def test_a_non_deterministic_change_fails_replay(changed: type):
    replayer = _replayer(changed, RefundSaga, ReturnSaga)
    orders = [h for h in recorded_histories() if h.workflow_id.startswith("order:")]
    assert len(orders) >= 2 * len(ORDERS)
    for history in orders:
        with pytest.raises(workflow.NondeterminismError):
            await replayer.replay_workflow(history)
