"""The helpdesk's side: wooerp's support API over HTTP with the bearer token
from dev.json (never printed)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

# Reads that may fail for a moment while a saga is being started or its
# worker is busy: 404 (not started yet), 502 (query failed), 503 (no Temporal).
NOT_YET = {404, 502, 503}


class SupportError(Exception):
    """The support API refused a call; the message carries its reason."""


class Support:
    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=15,
                                      headers={"Authorization": f"Bearer {token}"})

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _send(self, method: str, path: str, body: dict[str, Any] | None = None
                    ) -> httpx.Response:
        try:
            return await self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise SupportError(f"{method} {path}: {type(exc).__name__}: {exc}") from None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = await self._send("POST", path, body)
        if resp.status_code != 200:
            raise SupportError(f"POST {path}: HTTP {resp.status_code} {_reason(resp)}")
        return resp.json()

    async def _read(self, path: str) -> dict[str, Any] | None:
        """The JSON, or None while the saga is not there (yet)."""
        try:
            resp = await self._send("GET", path)
        except SupportError:
            return None  # a slow or restarting ingress: the caller polls again
        if resp.status_code in NOT_YET:
            return None
        if resp.status_code != 200:
            raise SupportError(f"GET {path}: HTTP {resp.status_code} {_reason(resp)}")
        return resp.json()

    # orders ----------------------------------------------------------------------
    async def order(self, store: str, order_id: int) -> dict[str, Any] | None:
        return await self._read(f"/support/orders/{store}/{order_id}")

    # refunds ---------------------------------------------------------------------
    async def request_refund(self, store: str, order_id: int, lines: dict[int, int],
                             reason: str, key: str) -> str:
        body = {"store": store, "order_id": order_id, "lines": {str(k): v for k, v in lines.items()},
                "reason": reason, "by": "demo-support", "key": key}
        return (await self._post("/support/refunds", body))["workflow_id"]

    async def approve_refund(self, workflow_id: str) -> dict[str, Any]:
        return await self._post(f"/support/refunds/{quote(workflow_id)}/approve",
                                {"by": "demo-manager"})

    async def refund(self, workflow_id: str) -> dict[str, Any] | None:
        return await self._read(f"/support/refunds/{quote(workflow_id)}")

    # returns ---------------------------------------------------------------------
    async def authorize_return(self, store: str, rma: str, order_id: int,
                               lines: list[dict[str, Any]], reason: str) -> str:
        body = {"store": store, "rma": rma, "order_id": order_id, "lines": lines,
                "reason": reason, "by": "demo-support"}
        return (await self._post("/support/returns", body))["workflow_id"]

    async def receive_return(self, store: str, rma: str, lines: dict[int, int]
                             ) -> dict[str, Any]:
        return await self._post(f"/support/returns/{store}/{quote(rma)}/receive",
                                {"lines": {str(k): v for k, v in lines.items()}})

    async def return_status(self, store: str, rma: str) -> dict[str, Any] | None:
        return await self._read(f"/support/returns/{store}/{quote(rma)}")


def _reason(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("error", resp.text[:300]))
    except ValueError:
        return resp.text[:300]
