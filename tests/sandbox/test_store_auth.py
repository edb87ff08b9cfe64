"""CONTRACT.md section 6 against the sandbox store: OAuth 1.0a, Basic, query keys, scopes."""
from __future__ import annotations

import secrets
import time

import httpx
import pytest

from sandbox.store.auth import sign, string_to_sign

VECTOR = {"per_page": "2", "status": "processing",
          "oauth_consumer_key": "ck_0123456789abcdef0123456789abcdef01234567",
          "oauth_timestamp": "1700000000", "oauth_nonce": "0123456789abcdef0123456789abcdef"}
VECTOR_SECRET = "cs_76543210fedcba9876543210fedcba9876543210"


@pytest.mark.parametrize("method,expected", [("HMAC-SHA256", "AxH097BdSjqUxk7o+6YuCHX8EVcRQpxudlaqpDBtm1I="),
                                             ("HMAC-SHA1", "j9XTIC8wVju0dkmM+DmhfC59JTI=")])
def test_oauth_signature_matches_the_contract_vector(method, expected):
    params = {**VECTOR, "oauth_signature_method": method}
    text = string_to_sign("GET", "http://woo.test/wp-json/wc/v3/orders", params)
    assert sign(method, text, VECTOR_SECRET) == expected


def _signed(store, method_name="HMAC-SHA1", ts=None, nonce=None, secret=None, key=None,
            path="orders", extra=None) -> dict[str, str]:
    params = {"per_page": "1", **(extra or {}),
              "oauth_consumer_key": key or store.consumer_key,
              "oauth_timestamp": str(ts if ts is not None else int(time.time())),
              "oauth_nonce": nonce or secrets.token_hex(16), "oauth_signature_method": method_name}
    base = f"{store.url}/wp-json/wc/v3/{path}"
    params["oauth_signature"] = sign(method_name, string_to_sign("GET", base, params),
                                     secret or store.consumer_secret)
    return params


def _get(store, params=None, headers=None, path="orders") -> httpx.Response:
    return httpx.get(f"{store.url}/wp-json/wc/v3/{path}", params=params, headers=headers, timeout=10)


def test_hmac_sha1_in_the_authorization_header_is_accepted(sandbox_store):
    params = _signed(sandbox_store)
    oauth = {k: v for k, v in params.items() if k.startswith("oauth_")}
    header = "OAuth " + ", ".join(f'{k}="{httpx.URL("", params={"v": v}).query.decode()[2:]}"'
                                  for k, v in oauth.items())
    resp = _get(sandbox_store, {"per_page": "1"}, {"Authorization": header})
    assert resp.status_code == 200, resp.text


def _auth_error(resp: httpx.Response, message: str) -> None:
    assert resp.status_code == 401
    assert resp.json() == {"code": "woocommerce_rest_authentication_error", "message": message,
                           "data": {"status": 401}}


def test_timestamp_outside_fifteen_minutes_is_refused(sandbox_store):
    _auth_error(_get(sandbox_store, _signed(sandbox_store, ts=int(time.time()) - 901)),
                "Invalid timestamp.")
    assert _get(sandbox_store, _signed(sandbox_store, ts=int(time.time()) - 600)).status_code == 200


def test_nonce_reuse_is_refused(sandbox_store):
    params = _signed(sandbox_store)
    assert _get(sandbox_store, params).status_code == 200
    _auth_error(_get(sandbox_store, params), "Invalid nonce - nonce has already been used.")


def test_unknown_key_bad_method_and_missing_params(sandbox_store):
    _auth_error(_get(sandbox_store, _signed(sandbox_store, key="ck_nobody")), "Consumer key is invalid.")
    bad = _signed(sandbox_store)
    bad["oauth_signature_method"] = "PLAINTEXT"
    _auth_error(_get(sandbox_store, bad), "Invalid signature - signature method is invalid.")
    partial = _get(sandbox_store, {"oauth_consumer_key": sandbox_store.consumer_key})
    assert partial.status_code == 401
    assert partial.json()["code"] == "woocommerce_rest_authentication_missing_parameter"
    assert partial.json()["message"] == ("Missing OAuth parameter(s) oauth_timestamp, oauth_nonce, "
                                         "oauth_signature, oauth_signature_method")


def test_basic_and_query_keys_are_ignored_over_plain_http(sandbox_store):
    creds = (sandbox_store.consumer_key, sandbox_store.consumer_secret)
    for resp in (httpx.get(f"{sandbox_store.url}/wp-json/wc/v3/orders", auth=creds, timeout=10),
                 _get(sandbox_store, {"consumer_key": creds[0], "consumer_secret": creds[1]})):
        assert resp.status_code == 401
        assert resp.json() == {"code": "woocommerce_rest_cannot_view",
                               "message": "Sorry, you cannot list resources.", "data": {"status": 401}}


def test_https_query_string_keys_and_unknown_basic_key(sandbox_store):
    api = sandbox_store.api(https=True, query_string_auth=True)
    assert api.get("orders", params={"per_page": 1}).status_code == 200
    anon = sandbox_store.api(https=True, consumer_key="ck_unknown").get("orders/1")
    assert anon.status_code == 401
    assert anon.json()["code"] == "woocommerce_rest_cannot_view"
    assert anon.json()["message"] == "Sorry, you cannot view this resource."


def test_read_only_key_cannot_write(sandbox_store):
    key = sandbox_store.admin("POST", "keys", {"permissions": "read"})
    api = sandbox_store.api(consumer_key=key["consumer_key"], consumer_secret=key["consumer_secret"])
    assert api.get("orders", params={"per_page": 1}).status_code == 200
    resp = api.post("orders", {})
    assert resp.status_code == 401
    assert resp.json()["message"] == "The API key provided does not have write permissions."


def test_unauthenticated_write_and_unknown_route(sandbox_store):
    resp = httpx.post(f"{sandbox_store.url}/wp-json/wc/v3/orders", json={}, timeout=10)
    assert (resp.status_code, resp.json()["code"]) == (401, "woocommerce_rest_cannot_create")
    nothing = sandbox_store.api().get("no-such-thing")
    assert nothing.status_code == 404
    assert nothing.json() == {"code": "rest_no_route",
                              "message": "No route was found matching the URL and request method",
                              "data": {"status": 404}}


def test_forwarded_proto_counts_as_https_only_when_trusted(sandbox_store, tmp_path):
    from tests.fixtures.store import SandboxStore

    creds = (sandbox_store.consumer_key, sandbox_store.consumer_secret)
    headers = {"X-Forwarded-Proto": "https"}
    untrusted = httpx.get(f"{sandbox_store.url}/wp-json/wc/v3/orders", auth=creds,
                          headers=headers, timeout=10)
    assert untrusted.status_code == 401  # a client cannot claim HTTPS by itself
    proxied = SandboxStore(tmp_path / "data", tmp_path / "store.log", ("--trust-forwarded-proto",))
    proxied.start()
    try:
        creds = (proxied.consumer_key, proxied.consumer_secret)
        resp = httpx.get(f"{proxied.url}/wp-json/wc/v3/orders", auth=creds, headers=headers,
                         timeout=10)
        assert resp.status_code == 200, resp.text
    finally:
        proxied.stop()
