"""Saga policies from settings: what the starters (ingress, CLI, backfill)
pass to each new saga, so one place decides how sagas behave."""
from __future__ import annotations

from workers.config.settings import Settings
from workflows.order_types import SagaPolicy
from workflows.reconcile_types import ReconcilePolicy
from workflows.refund_types import RefundPolicy


def saga_policy(settings: Settings) -> SagaPolicy:
    return SagaPolicy(**settings.saga.model_dump())


def refund_policy(settings: Settings, store: str | None = None) -> RefundPolicy:
    """The refund policy of `store`: [refunds], with what the store's own
    [stores.<code>.refunds] sets taking precedence."""
    values = settings.refunds.model_dump()
    own = settings.stores.get(store) if store else None
    if own is not None:
        values.update({k: v for k, v in own.refunds.model_dump().items() if v is not None})
    return RefundPolicy(max_attempts=settings.saga.max_attempts, **values)


def reconcile_policy(settings: Settings) -> ReconcilePolicy:
    return ReconcilePolicy(**settings.reconcile.model_dump())
