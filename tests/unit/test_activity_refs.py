"""Each activity reference (activities/refs.py) names an implementation whose
annotations are the reference's types, so a workflow can never decode a
result into the wrong type or send the wrong payload."""
from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest

from activities import refs
from activities.erp import ErpActivities
from activities.inventory import (InventoryErpActivities, InventoryLedgerActivities,
                                  InventoryStoreActivities)
from activities.ledger import LedgerActivities
from activities.ping import PingActivities
from activities.reconcile import (ReconcileErpActivities, ReconcileLedgerActivities,
                                  ReconcileStoreActivities)
from activities.woocommerce import WooActivities
from sandbox.fake_systems import FakeWorld
from workers.sagas.activities import SagaActivities
from workers.sagas.backfill_activities import BackfillActivities
from workers.sagas.inventory import InventorySagaActivities
from workers.sagas.reconcile_activities import ReconcileSagaActivities

ROOT = Path(__file__).resolve().parents[2]
CLASSES = (ErpActivities, WooActivities, LedgerActivities, PingActivities, SagaActivities,
           ReconcileStoreActivities, ReconcileErpActivities, ReconcileLedgerActivities,
           ReconcileSagaActivities, InventoryErpActivities, InventoryStoreActivities,
           InventoryLedgerActivities, InventorySagaActivities, BackfillActivities)


def _definition_name(fn: Any) -> str | None:
    defn = getattr(fn, "__temporal_activity_definition", None)
    return defn.name if defn else None


def implementations() -> dict[str, Any]:
    found = {}
    for cls in CLASSES:
        for _, fn in inspect.getmembers(cls, inspect.isfunction):
            if name := _definition_name(fn):
                found[name] = fn
    return found


def _types(annotation: Any) -> set[type]:
    """The classes an annotation allows: `AnyEvent` (an annotated union) is each event."""
    if get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is typing.Union:
        return {t for arg in get_args(annotation) for t in _types(arg)}
    return {annotation}


def signature_of(fn: Any) -> tuple[set[type], set[type]]:
    hints = get_type_hints(inspect.unwrap(fn), include_extras=True)
    result = hints.pop("return")
    [arg] = [v for k, v in hints.items() if k != "self"]
    return _types(arg), _types(result)


def assert_matches(ref: refs.ActivityRef, fn: Any) -> None:
    args, results = signature_of(fn)
    assert all(issubclass(a, ref.arg) for a in args), (
        f"{ref.name}: the implementation takes {args}, the reference says {ref.arg}")
    assert results == {ref.result}, (
        f"{ref.name}: the implementation returns {results}, the reference says {ref.result}")


@pytest.mark.parametrize("ref", refs.ALL, ids=lambda r: r.name)
def test_each_reference_has_an_implementation_with_its_types(ref):
    impl = implementations()
    assert ref.name in impl, f"no activity is registered as {ref.name!r}"
    assert_matches(ref, impl[ref.name])


def test_every_activity_has_a_reference():
    assert set(implementations()) == {r.name for r in refs.ALL}


def test_the_fakes_keep_the_same_contract():
    """The workflow tests' stand-ins must not drift from the real activities."""
    by_name = {r.name: r for r in refs.ALL}
    for fakes in FakeWorld().activities().values():
        for fn in fakes:
            assert_matches(by_name[_definition_name(fn)], fn)


def test_the_check_catches_a_wrong_result_type():
    async def get_sale(self, external_ref: str) -> int: ...
    with pytest.raises(AssertionError, match="erp.get_sale: the implementation returns"):
        assert_matches(refs.ERP_GET_SALE, get_sale)


def test_workflows_call_activities_only_through_references():
    """`call(ref, arg)` in workflows/options.py is the one place that executes
    an activity by name; elsewhere a bare name would bypass the types."""
    offenders = []
    for path in sorted((ROOT / "workflows").glob("*.py")):
        if path.name == "options.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "execute_activity":
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
