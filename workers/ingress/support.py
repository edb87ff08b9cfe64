"""The support API: helpdesk tools approve refunds and returns over HTTP.

Bearer-token auth: 401 without a token, 403 with a wrong one (compared in
constant time). Every route calls the saga client API, as the CLI does; an
outcome it raises carries the HTTP status to answer with.
"""
from __future__ import annotations

import hmac
from decimal import Decimal, InvalidOperation
from typing import Any, Awaitable, Callable

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from canonical.entities import ReturnLine
from canonical.money import Money
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import SagaCallError

Handler = Callable[[Request], Awaitable[JSONResponse]]


def _authorized(request: Request) -> JSONResponse | None:
    token = request.app.state.settings.support.api_token
    if token is None:
        return JSONResponse({"error": "the support API is disabled (no WOOERP_SUPPORT__API_TOKEN)"},
                            status_code=403)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return JSONResponse({"error": "missing bearer token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        return JSONResponse({"error": "wrong token"}, status_code=403)
    return None


def guarded(handler: Callable[[Request, SagaClient], Awaitable[Any]]) -> Handler:
    """Auth, a saga client, JSON in and out, and errors as 4xx with a reason."""
    async def endpoint(request: Request) -> JSONResponse:
        denied = _authorized(request)
        if denied:
            return denied
        sagas = await request.app.state.sagas.get()
        if sagas is None:
            return JSONResponse({"error": "Temporal is unreachable, try again"}, status_code=503)
        try:
            result = await handler(request, sagas)
        except (ValueError, ValidationError, KeyError, InvalidOperation) as exc:
            return JSONResponse({"error": f"bad request: {exc}"}, status_code=400)
        except SagaCallError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.http_status)
        body = result.model_dump(mode="json") if hasattr(result, "model_dump") else result
        return JSONResponse(body)
    return endpoint


async def _json(request: Request) -> dict[str, Any]:
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _lines(raw: dict[str, Any] | None) -> dict[int, int]:
    return {int(k): int(v) for k, v in (raw or {}).items()}


async def request_refund(request: Request, sagas: SagaClient) -> dict[str, str]:
    b = await _json(request)
    amount = Money.of(Decimal(str(b["amount"])), b.get("currency", "USD")) if "amount" in b else None
    wid = await sagas.request_refund(
        store=b["store"], order_id=int(b["order_id"]), requested_by=b.get("by", "support"),
        lines=_lines(b.get("lines")), amount=amount, reason=b.get("reason", ""), key=b.get("key"))
    return {"workflow_id": wid}


async def approve_refund(request: Request, sagas: SagaClient):
    b = await _json(request)
    return await sagas.approve_refund(request.path_params["wid"], b.get("by", "support"))


async def reject_refund(request: Request, sagas: SagaClient):
    b = await _json(request)
    return await sagas.reject_refund(request.path_params["wid"], b.get("by", "support"),
                                     b["reason"])


async def money_sent(request: Request, sagas: SagaClient):
    b = await _json(request)
    return await sagas.confirm_money_sent(request.path_params["wid"], b.get("by", "support"),
                                          str(b.get("note", "")))


async def refund_status(request: Request, sagas: SagaClient):
    return await sagas.refund_status(request.path_params["wid"])


async def authorize_return(request: Request, sagas: SagaClient) -> dict[str, str]:
    b = await _json(request)
    lines = [ReturnLine.model_validate(l) for l in b["lines"]]
    wid = await sagas.authorize_return(
        store=b["store"], rma=b["rma"], order_id=int(b["order_id"]), lines=lines,
        authorized_by=b.get("by", "support"), reason=b.get("reason", ""))
    return {"workflow_id": wid}


async def receive_return(request: Request, sagas: SagaClient):
    b = await _json(request)
    p = request.path_params
    return await sagas.receive_return(p["store"], p["rma"], _lines(b.get("lines")))


async def return_status(request: Request, sagas: SagaClient):
    p = request.path_params
    return await sagas.return_status(p["store"], p["rma"])


async def order_status(request: Request, sagas: SagaClient):
    p = request.path_params
    return await sagas.order_status(p["store"], int(p["order_id"]))


async def retry_order(request: Request, sagas: SagaClient) -> dict[str, str]:
    p = request.path_params
    await sagas.retry_order(p["store"], int(p["order_id"]))
    return {"sent": "retry"}


async def resolve_order(request: Request, sagas: SagaClient) -> dict[str, str]:
    b = await _json(request)
    p = request.path_params
    await sagas.resolve_order(p["store"], int(p["order_id"]), b.get("note", "resolved"))
    return {"sent": "resolve"}


ROUTES = [
    Route("/support/refunds", guarded(request_refund), methods=["POST"]),
    Route("/support/refunds/{wid}", guarded(refund_status), methods=["GET"]),
    Route("/support/refunds/{wid}/approve", guarded(approve_refund), methods=["POST"]),
    Route("/support/refunds/{wid}/reject", guarded(reject_refund), methods=["POST"]),
    Route("/support/refunds/{wid}/money-sent", guarded(money_sent), methods=["POST"]),
    Route("/support/returns", guarded(authorize_return), methods=["POST"]),
    Route("/support/returns/{store}/{rma}", guarded(return_status), methods=["GET"]),
    Route("/support/returns/{store}/{rma}/receive", guarded(receive_return), methods=["POST"]),
    Route("/support/orders/{store}/{order_id:int}", guarded(order_status), methods=["GET"]),
    Route("/support/orders/{store}/{order_id:int}/retry", guarded(retry_order), methods=["POST"]),
    Route("/support/orders/{store}/{order_id:int}/resolve", guarded(resolve_order),
          methods=["POST"]),
]
