"""An async JSON-RPC client for trytond, with errors mapped to systems/erp/errors.

One pooled httpx.AsyncClient per client; every call has a timeout. The client
logs in once (argon2 makes a login cost ~200 ms), logs in again when the
server answers 401 (session expired), and sends the user's preferences as the
context of every model call, since Tryton needs the company in it.
No retries here beyond that one re-login: retries belong to the Temporal
activity, which the error classes tell whether a retry can help.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import time
from typing import Any

import httpx
import structlog

from systems.erp.errors import ErpError, ErpRejectedError, ErpRetryableError, ErpWarning
from systems.erp.tryton import wire

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT_S = 30.0
# Tryton raises these from the database layer when SQLite/PostgreSQL is busy.
_TRANSIENT_MARKERS = ("database is locked", "could not serialize", "deadlock detected",
                      "OperationalError", "could not obtain lock")


class TrytonRpc:
    def __init__(self, url: str, database: str, user: str, password: str, *,
                 timeout: float = DEFAULT_TIMEOUT_S, language: str = "en",
                 transport: httpx.AsyncBaseTransport | None = None):
        self.url, self.database, self.user = url.rstrip("/"), database, user
        self._password, self._language = password, language
        self._http = httpx.AsyncClient(
            base_url=self.url, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            headers={"Content-Type": "application/json"})
        self._ids = itertools.count(1)
        self._auth: str | None = None
        self._login_lock = asyncio.Lock()
        self.user_id: int | None = None
        self.context: dict[str, Any] = {}

    def __repr__(self) -> str:  # never shows the password
        return f"TrytonRpc({self.url!r}, {self.database!r}, user={self.user!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    # session ------------------------------------------------------------------
    async def login(self) -> None:
        async with self._login_lock:
            await self._login()

    async def _login(self) -> None:
        result = await self._post(f"/{self.database}/rpc/", "common.db.login",
                                  [self.user, {"password": self._password}, self._language],
                                  auth=None)
        user_id, session = result[0], result[1]
        token = base64.b64encode(f"{self.user}:{user_id}:{session}".encode()).decode()
        self.user_id, self._auth = user_id, f"Session {token}"
        preferences = await self._post(f"/{self.database}/rpc/", "model.res.user.get_preferences",
                                       [True, {}], auth=self._auth)
        self.context = dict(preferences)
        log.info("tryton.login", url=self.url, database=self.database,
                 company=self.context.get("company"))

    async def ensure_login(self) -> None:
        """Log in unless already logged in (the context is filled after this)."""
        await self._ensure_session()

    async def _ensure_session(self) -> str:
        if self._auth is None:
            async with self._login_lock:
                if self._auth is None:
                    await self._login()
        return self._auth

    # calls ----------------------------------------------------------------------
    async def call(self, method: str, *params: Any) -> Any:
        """A database call with the session; logs in again once on 401."""
        auth = await self._ensure_session()
        try:
            return await self._post(f"/{self.database}/rpc/", method, list(params), auth=auth)
        except _SessionExpired:
            async with self._login_lock:
                if self._auth == auth:  # nobody else logged in meanwhile
                    await self._login()
            return await self._post(f"/{self.database}/rpc/", method, list(params),
                                    auth=self._auth)

    async def server_version(self) -> str:
        return await self._post("/rpc/", "common.server.version", [], auth=None)

    async def execute(self, model: str, method: str, *args: Any,
                      context: dict[str, Any] | None = None) -> Any:
        """`model.<model>.<method>(*args, context)`: the context always goes last."""
        await self._ensure_session()
        ctx = {**self.context, **(context or {})}
        return await self.call(f"model.{model}.{method}", *args, ctx)

    async def search(self, model: str, domain: list, *, limit: int | None = None,
                     order: list | None = None, context: dict | None = None) -> list[int]:
        return await self.execute(model, "search", domain, 0, limit, order, context=context)

    async def search_read(self, model: str, domain: list, fields: list[str], *,
                          limit: int | None = None, order: list | None = None,
                          context: dict | None = None) -> list[dict]:
        return await self.execute(model, "search_read", domain, 0, limit, order, fields,
                                  context=context)

    async def read(self, model: str, ids: list[int], fields: list[str], *,
                   context: dict | None = None) -> list[dict]:
        rows = await self.execute(model, "read", ids, fields, context=context)
        by_id = {row["id"]: row for row in rows}  # read answers in any order
        return [by_id[i] for i in ids]

    async def create(self, model: str, values: list[dict], *,
                     context: dict | None = None) -> list[int]:
        return await self.execute(model, "create", values, context=context)

    async def write(self, model: str, ids: list[int], values: dict, *,
                    context: dict | None = None) -> None:
        await self.execute(model, "write", ids, values, context=context)

    async def button(self, model: str, name: str, ids: list[int], *,
                     context: dict | None = None) -> Any:
        return await self.execute(model, name, ids, context=context)

    async def acknowledge_warning(self, name: str) -> None:
        """Answer a UserWarning once, as the desktop client does (`_skip_warnings` is stripped)."""
        await self.create("res.user.warning",
                          [{"user": self.user_id, "name": name, "always": False}])

    async def run_wizard(self, name: str, model: str, ids: list[int],
                         steps: list[tuple[str, dict]]) -> list[Any]:
        """Create a wizard session, execute `steps` [(state, data)], delete it."""
        ctx = {**self.context, "active_model": model, "active_id": ids[0], "active_ids": ids}
        session, _, _ = await self.call(f"wizard.{name}.create", ctx)
        try:
            return [await self.call(f"wizard.{name}.execute", session, data, state, ctx)
                    for state, data in steps]
        finally:
            await self.call(f"wizard.{name}.delete", session, ctx)

    # transport ------------------------------------------------------------------
    async def _post(self, path: str, method: str, params: list, auth: str | None) -> Any:
        body = wire.dumps({"id": next(self._ids), "method": method, "params": params})
        headers = {"Authorization": auth} if auth else {}
        started = time.perf_counter()
        try:
            response = await self._http.post(path, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise ErpRetryableError(f"Tryton call {method} timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise ErpRetryableError(f"Tryton unreachable at {self.url}: {exc!r}") from exc
        log.debug("tryton.call", method=method, status=response.status_code,
                  ms=round((time.perf_counter() - started) * 1000, 1))
        _raise_for_status(response, method, session=auth is not None)
        payload = wire.loads(response.content)
        if "error" in payload:
            raise error_from_payload(payload["error"], method)
        return payload.get("result")


class ErpMethodRefused(ErpRejectedError):
    """HTTP 403: the server does not offer this method to us (a module that
    is not installed, or no access): a caller may take another way."""


class _SessionExpired(ErpRetryableError):
    """HTTP 401 on a call made with a session: log in again and repeat."""


def _raise_for_status(response: httpx.Response, method: str, session: bool) -> None:
    status = response.status_code
    if status == 200:
        return
    text = response.text[:300]
    if status == 401:
        if session:
            raise _SessionExpired(f"session expired calling {method}")
        raise ErpRejectedError(f"Tryton login refused (HTTP 401) for {method}")
    if status == 429 or status >= 500:
        raise ErpRetryableError(f"Tryton HTTP {status} on {method}", description=text)
    if status == 403:
        raise ErpMethodRefused(f"Tryton HTTP 403 on {method}", description=text)
    raise ErpRejectedError(f"Tryton HTTP {status} on {method}", description=text)


def error_from_payload(error: Any, method: str) -> ErpError:
    """Map Tryton's JSON-RPC error shapes (RECIPE.md section 6) to our classes."""
    kind = error[0] if isinstance(error, (list, tuple)) and error else str(error)
    args = error[1] if isinstance(error, (list, tuple)) and len(error) > 1 else None
    if kind == "UserError":
        message, description = args[0], (args[1] if len(args) > 1 else "")
        return ErpRejectedError(message, description=description or "")
    if kind == "UserWarning":
        return ErpWarning(args[0], args[1], args[2] if len(args) > 2 else "")
    if kind == "ConcurrencyException":
        return ErpRetryableError(f"{method}: {args}")
    if kind == "LoginException":
        return ErpRejectedError(f"{method}: login needs {args}")
    # An unexpected server exception: [str(exc), traceback].
    text = f"{kind} {args or ''}"
    if any(marker in text for marker in _TRANSIENT_MARKERS):
        return ErpRetryableError(f"Tryton database busy on {method}", description=str(kind))
    return ErpRejectedError(f"Tryton server error on {method}: {kind}")
