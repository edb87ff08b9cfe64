"""WooCommerce REST authentication (CONTRACT.md section 6, WC_REST_Authentication).

Over HTTPS: query-string keys, else HTTP Basic. Over HTTP (and as the
fall-through over HTTPS): one-legged OAuth 1.0a, HMAC-SHA1 or HMAC-SHA256,
+-900 s timestamp window, nonce reuse rejected for 15 minutes.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import quote, unquote

from sandbox.store.db import Database
from sandbox.store.errors import WooError

OAUTH_REQUIRED = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce",
                  "oauth_signature", "oauth_signature_method")
WINDOW = 15 * 60
HASHES = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


@dataclass(frozen=True)
class ApiKey:
    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"  # read | write | read_write


@dataclass
class AuthRequest:
    method: str
    is_ssl: bool
    base_url: str  # home URL + request path, no query string
    params: Mapping[str, str]  # $_GET merged with $_POST (last value wins)
    authorization: str | None


def _auth_error(message: str) -> WooError:
    return WooError("woocommerce_rest_authentication_error", message, 401)


def rfc3986(value: str) -> str:
    # PHP rawurlencode; '+' -> ' ' and '%7E' -> '~' as wc_rest_urlencode_rfc3986 does.
    return quote(value, safe="~").replace("+", " ").replace("%7E", "~")


def string_to_sign(method: str, base_url: str, params: Mapping[str, str]) -> str:
    pairs = sorted(params.items(), key=lambda kv: kv[0].encode())
    joined = "%26".join(rfc3986(f"{rfc3986(k)}={rfc3986(v)}") for k, v in pairs)
    return f"{method.upper()}&{rfc3986(base_url)}&{joined}"


def sign(method_name: str, text: str, secret: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), text.encode(), HASHES[method_name]).digest()
    return base64.b64encode(digest).decode()


def _header_params(authorization: str | None) -> dict[str, str]:
    if not authorization or not authorization.lower().startswith("oauth "):
        return {}
    out = {}
    for part in authorization[6:].split(","):
        if "=" in part:
            k, v = part.strip().split("=", 1)
            out[unquote(k.strip())] = unquote(v.strip().strip('"'))
    return out


class Authenticator:
    def __init__(self, db: Database, keys: dict[str, ApiKey]):
        self.db = db
        self.keys = keys

    def authenticate(self, req: AuthRequest) -> ApiKey | None:
        """The key the request authenticates as, None if anonymous; raises on bad credentials."""
        if req.is_ssl:
            key = self._basic(req)
            if key:
                return key
        return self._oauth(req)

    def _basic(self, req: AuthRequest) -> ApiKey | None:
        ck, cs = req.params.get("consumer_key"), req.params.get("consumer_secret")
        if not (ck and cs):
            ck = cs = None
            if req.authorization and req.authorization.lower().startswith("basic "):
                try:
                    ck, _, cs = base64.b64decode(req.authorization[6:]).decode().partition(":")
                except ValueError:
                    return None
        if not ck:
            return None
        key = self.keys.get(ck)
        if key is None:
            return None  # unknown key: the request simply stays anonymous
        if not hmac.compare_digest(key.consumer_secret.encode(), (cs or "").encode()):
            raise _auth_error("Consumer secret is invalid.")
        return key

    def _oauth(self, req: AuthRequest) -> ApiKey | None:
        params = dict(req.params)
        params.update(_header_params(req.authorization))
        present = [p for p in OAUTH_REQUIRED if p in params]
        if not present:
            return None
        missing = [p for p in OAUTH_REQUIRED if p not in params]
        if missing:
            raise WooError("woocommerce_rest_authentication_missing_parameter",
                           f"Missing OAuth parameter(s) {', '.join(missing)}", 401)
        key = self.keys.get(params["oauth_consumer_key"])
        if key is None:
            raise _auth_error("Consumer key is invalid.")
        self._check_signature(req, params, key)
        self._check_timestamp_and_nonce(params, key)
        return key

    def _check_signature(self, req: AuthRequest, params: dict[str, str], key: ApiKey) -> None:
        given = params.pop("oauth_signature").replace(" ", "+")
        method_name = params.get("oauth_signature_method", "")
        if method_name not in HASHES:
            raise _auth_error("Invalid signature - signature method is invalid.")
        expected = sign(method_name, string_to_sign(req.method, req.base_url, params),
                        key.consumer_secret)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise _auth_error("Invalid signature - provided signature does not match.")

    def _check_timestamp_and_nonce(self, params: dict[str, str], key: ApiKey) -> None:
        now = int(time.time())
        try:
            ts = int(params["oauth_timestamp"])
        except ValueError:
            raise _auth_error("Invalid timestamp.") from None
        if ts < now - WINDOW or ts > now + WINDOW:
            raise _auth_error("Invalid timestamp.")
        with self.db.tx():
            self.db.execute("DELETE FROM nonces WHERE ts < ?", (now - WINDOW,))
            seen = self.db.execute(
                "SELECT 1 FROM nonces WHERE consumer_key=? AND nonce=?",
                (key.consumer_key, params["oauth_nonce"]),
            ).fetchone()
            if seen:
                raise _auth_error("Invalid nonce - nonce has already been used.")
            self.db.execute("INSERT INTO nonces VALUES (?,?,?)",
                            (key.consumer_key, params["oauth_nonce"], now))


def check_permission(key: ApiKey, method: str) -> None:
    """rest_pre_dispatch: read for GET/HEAD, write for POST/PUT/PATCH/DELETE."""
    if method == "OPTIONS":
        return
    if method in ("GET", "HEAD"):
        if key.permissions not in ("read", "read_write"):
            raise _auth_error("The API key provided does not have read permissions.")
    elif method in ("POST", "PUT", "PATCH", "DELETE"):
        if key.permissions not in ("write", "read_write"):
            raise _auth_error("The API key provided does not have write permissions.")
    else:
        raise _auth_error("Unknown request method.")
