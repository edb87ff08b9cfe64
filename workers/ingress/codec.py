"""The codec endpoint: the Temporal Web UI and CLI decode saga payloads here.

Payloads in Temporal are encrypted (workers/sagas/codec.py), so the UI shows
them only through a remote codec it calls from the browser:

    POST /codec/decode, /codec/encode           Authorization: Bearer <token>
         (`temporal workflow show --codec-endpoint <ingress>/codec --codec-auth "Bearer <token>"`)
    POST /codec/<token>/decode, /codec/<token>/encode
         (the Web UI: it sends no header of its own, so its endpoint carries the token)

The token is `temporal.codec.endpoint_token`, else `support.api_token`; with
neither the endpoint is off. The answer carries the CORS headers the UI's
origin needs (it sends `content-type`, `x-namespace` and maybe `authorization`,
so the browser asks first with an OPTIONS preflight, answered without auth).
Bad input is a 400 with a reason; the body is bounded.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workers.config.settings import Settings
from workers.ingress.bearer import refusal
from workers.ingress.webhooks import BodyTooLarge, read_body
from workers.sagas import codec

MAX_BODY = 8 * 1024 * 1024  # many payloads of one history page; Temporal caps one at 2 MiB
ALLOWED_HEADERS = "content-type, x-namespace, authorization"


def ui_origins(settings: Settings) -> set[str]:
    configured = settings.temporal.codec.ui_origins
    if configured:
        return {o.rstrip("/") for o in configured}
    port = settings.temporal.ui_port
    return {f"http://127.0.0.1:{port}", f"http://localhost:{port}"}


def _cors(request: Request) -> dict[str, str]:
    headers = {"Vary": "Origin"}
    origin = request.headers.get("origin")
    if origin and origin in ui_origins(request.app.state.settings):
        headers.update({
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            # The UI's "include cross-origin credentials" option needs it.
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Max-Age": "600",
        })
    return headers


def _error(request: Request, status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status, headers=_cors(request))


def _denied(request: Request) -> JSONResponse | None:
    settings: Settings = request.app.state.settings
    token = settings.temporal.codec.endpoint_token or settings.support.api_token
    if token is None:
        return _error(request, 403, "the codec endpoint is off: set "
                      "WOOERP_TEMPORAL__CODEC__ENDPOINT_TOKEN (or the support API token)")
    return refusal(request, token, given=request.path_params.get("token"),
                   headers=_cors(request))


def _endpoint(decode: bool):
    async def endpoint(request: Request) -> Response:
        denied = _denied(request)
        if denied:
            return denied
        ring = request.app.state.settings.temporal.codec.key_ring()
        if ring is None:
            return _error(request, 404, "payload encryption is off (no temporal.codec.keys)")
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return _error(request, 413, f"body over {MAX_BODY} bytes")
        step = codec.decode_json if decode else codec.encode_json
        try:
            answer = await step(codec.codec_for(ring), body)
        except codec.CodecError as exc:
            return _error(request, 400, str(exc))
        return Response(answer, media_type="application/json", headers=_cors(request))
    return endpoint


async def preflight(request: Request) -> Response:
    return Response(status_code=204, headers=_cors(request))


ROUTES = [
    route
    for path in ("/codec", "/codec/{token}")
    for name, decode in (("decode", True), ("encode", False))
    for route in (Route(f"{path}/{name}", _endpoint(decode), methods=["POST"]),
                  Route(f"{path}/{name}", preflight, methods=["OPTIONS"]))
]
