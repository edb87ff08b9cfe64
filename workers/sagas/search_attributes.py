"""Server side of the search attributes the sagas keep current.

The keys themselves live in `workflows/search.py` (workflows upsert them);
this module registers the same list on a Temporal server: as start-up flags
for the embedded dev server, or through the operator service on a real
cluster (`wooerp temporal register-search-attributes`).

With `StageSince` (a Datetime set whenever `SagaStage` changes), "orders stuck
in awaiting_erp for over an hour" is one Web UI / CLI query:

    SagaStage = "awaiting_erp" AND StageSince < "2026-11-26T11:00:00Z"
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType as SAType
from temporalio.common import SearchAttributeKey

from workers.sagas.connect import CONVERTER
from workflows import search

SEARCH_ATTRIBUTES: tuple[SearchAttributeKey, ...] = (
    search.WOO_STORE,
    search.WOO_ORDER_ID,
    search.SAGA_STAGE,
    search.NEEDS_ATTENTION,
    search.STUCK_REASON,
    search.ERP_DOCUMENT,
    search.ORDER_TOTAL,
    search.STAGE_SINCE,
    search.BACKFILL_RANGE,
    search.BACKFILL_STATE,
    search.BACKFILL_SEEN,
)

# The names `temporal server start-dev --search-attribute` accepts.
CLI_TYPE_NAMES = {
    SAType.TEXT: "Text",
    SAType.KEYWORD: "Keyword",
    SAType.INT: "Int",
    SAType.DOUBLE: "Double",
    SAType.BOOL: "Bool",
    SAType.DATETIME: "Datetime",
    SAType.KEYWORD_LIST: "KeywordList",
}


class SearchAttributeConflict(Exception):
    """A search attribute exists on the server with another type."""


def dev_server_flags(attributes: Sequence[SearchAttributeKey] = SEARCH_ATTRIBUTES) -> list[str]:
    flags: list[str] = []
    for key in attributes:
        flags += ["--search-attribute", f"{key.name}={CLI_TYPE_NAMES[key.indexed_value_type]}"]
    return flags


async def register(
    client: Client, namespace: str, attributes: Sequence[SearchAttributeKey] = SEARCH_ATTRIBUTES
) -> list[str]:
    """Add the missing attributes; returns the names added (empty when all exist).

    Idempotent, so deploy scripts can run it every time; a same-named attribute
    of another type is an error, since the sagas could not write it.
    """
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace))
    existing = {**dict(listed.system_attributes), **dict(listed.custom_attributes)}
    missing: dict[str, IndexedValueType.ValueType] = {}
    for key in attributes:
        wanted = IndexedValueType.ValueType(int(key.indexed_value_type))
        if key.name not in existing:
            missing[key.name] = wanted
        elif existing[key.name] != wanted:
            have = IndexedValueType.Name(existing[key.name])
            raise SearchAttributeConflict(
                f"search attribute {key.name} exists as {have}, wooerp needs "
                f"{CLI_TYPE_NAMES[key.indexed_value_type]}")
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing))
    return sorted(missing)


async def missing(client: Client, namespace: str,
                  attributes: Sequence[SearchAttributeKey] = SEARCH_ATTRIBUTES) -> list[str]:
    """The attributes the namespace lacks, or has with another type (`wooerp doctor`)."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace), timeout=timedelta(seconds=5))
    existing = {**dict(listed.system_attributes), **dict(listed.custom_attributes)}
    return sorted(key.name for key in attributes
                  if existing.get(key.name) != int(key.indexed_value_type))


async def registered(address: str, namespace: str,
                     attributes: Sequence[SearchAttributeKey] = SEARCH_ATTRIBUTES) -> bool:
    """Does the server at `address` answer, with every attribute registered?
    (The embedded server's readiness check.)"""
    client = await asyncio.wait_for(
        Client.connect(address, namespace=namespace, data_converter=CONVERTER), timeout=2)
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace), timeout=timedelta(seconds=2))
    return {k.name for k in attributes} <= set(listed.custom_attributes)
