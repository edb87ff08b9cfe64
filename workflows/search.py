"""Search attribute keys the sagas keep current, so the Web UI and
`wooerp orders stuck` can find any saga by store, order, stage or reason.
The server side registers the same names (workers/search_attributes.py)."""
from temporalio.common import SearchAttributeKey

WOO_STORE = SearchAttributeKey.for_keyword("WooStore")
WOO_ORDER_ID = SearchAttributeKey.for_int("WooOrderId")
SAGA_STAGE = SearchAttributeKey.for_keyword("SagaStage")
NEEDS_ATTENTION = SearchAttributeKey.for_bool("NeedsAttention")
STUCK_REASON = SearchAttributeKey.for_text("StuckReason")
ERP_DOCUMENT = SearchAttributeKey.for_keyword("ErpDocument")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
STAGE_SINCE = SearchAttributeKey.for_datetime("StageSince")
# BackfillWorkflow (with WOO_STORE): its range, state and orders seen so far.
BACKFILL_RANGE = SearchAttributeKey.for_keyword("BackfillRange")
BACKFILL_STATE = SearchAttributeKey.for_keyword("BackfillState")
BACKFILL_SEEN = SearchAttributeKey.for_int("BackfillSeen")
