"""Reconciliation: does the ERP hold what the store sold, and if not, why?

Pure like the rest of canonical/: snapshots of both sides go in, a per-day
report comes out whose variances each carry a cause from a closed list
(causes.py) and add up exactly to the day's difference.
"""
from canonical.reconcile.causes import Cause, Component
from canonical.reconcile.compare import DayCompare
from canonical.reconcile.report import DayReport, State, StateTally, Tally, Variance
from canonical.reconcile.snapshots import (ErpDocument, LedgerFacts, Recovery, SagaState,
                                           StoreOrder)
from canonical.reconcile.window import Day, business_day, business_days, day_of

__all__ = ["Cause", "Component", "DayCompare", "DayReport", "State", "StateTally", "Tally",
           "Variance", "ErpDocument", "LedgerFacts", "Recovery", "SagaState", "StoreOrder",
           "Day", "business_day", "business_days", "day_of"]
