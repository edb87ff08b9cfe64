"""Bearer-token checks of the ingress's guarded endpoints (/metrics, /codec):
401 without a token, 403 with a wrong one, compared in constant time."""
from __future__ import annotations

import hmac
from collections.abc import Mapping

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse


def refusal(request: Request, token: SecretStr, *, given: str | None = None,
            headers: Mapping[str, str] | None = None) -> JSONResponse | None:
    """None when the request carries `token` (in `given`, else as a bearer header)."""
    headers = dict(headers or {})
    if given is None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return JSONResponse({"error": "missing bearer token"}, status_code=401,
                                headers={**headers, "WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        return JSONResponse({"error": "wrong token"}, status_code=403, headers=headers)
    return None
