"""The ingress's codec endpoint as the Temporal Web UI and CLI call it
(workers/ingress/codec.py): auth, CORS preflight, proto JSON in and out."""
from __future__ import annotations

import base64
import json

import pytest
from starlette.testclient import TestClient

from workers.config.keyring import new_key_line
from workers.config.settings import load_settings
from workers.ingress.app import create_app

TOKEN = "codec-token-for-tests"
UI = "http://127.0.0.1:8233"
EMAIL = "jane.doe@example.com"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


PLAIN = {"payloads": [{"metadata": {"encoding": b64(b"json/plain")},
                       "data": b64(json.dumps({"email": EMAIL}).encode())}]}


def client_for(tmp_path, **codec) -> TestClient:
    settings = load_settings(data_dir=tmp_path, temporal={"codec": codec},
                             support={"api_token": "support-token"})
    return TestClient(create_app(settings, relay_every=3600))


@pytest.fixture
def ingress(tmp_path):
    return client_for(tmp_path, keys=new_key_line(), endpoint_token=TOKEN)


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Namespace": "default", "Origin": UI}


def test_encode_then_decode_round_trips_and_hides_the_email(ingress):
    sealed = ingress.post("/codec/encode", json=PLAIN, headers=auth())
    assert sealed.status_code == 200, sealed.text
    assert EMAIL not in sealed.text
    assert base64.b64decode(sealed.json()["payloads"][0]["metadata"]["encoding"]) == b"binary/encrypted"
    opened = ingress.post("/codec/decode", json=sealed.json(), headers=auth())
    assert opened.status_code == 200 and opened.json() == PLAIN
    assert opened.headers["access-control-allow-origin"] == UI


def test_the_web_ui_form_carries_the_token_in_the_path(ingress):
    sealed = ingress.post(f"/codec/{TOKEN}/encode", json=PLAIN, headers={"Origin": UI}).json()
    opened = ingress.post(f"/codec/{TOKEN}/decode", json=sealed, headers={"Origin": UI})
    assert opened.status_code == 200 and opened.json() == PLAIN
    wrong = ingress.post("/codec/not-the-token/decode", json=sealed, headers={"Origin": UI})
    assert wrong.status_code == 403
    assert wrong.headers["access-control-allow-origin"] == UI  # so the UI can show the reason


def test_the_preflight_answers_the_ui_origin_without_auth(ingress):
    for path in ("/codec/decode", f"/codec/{TOKEN}/decode", "/codec/encode"):
        pre = ingress.options(path, headers={
            "Origin": UI, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace,authorization"})
        assert pre.status_code == 204, path
        assert pre.headers["access-control-allow-origin"] == UI
        allowed = {h.strip() for h in pre.headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "x-namespace", "authorization"} <= allowed
        assert "POST" in pre.headers["access-control-allow-methods"]
    other = ingress.options("/codec/decode", headers={"Origin": "https://evil.example",
                                                      "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in other.headers


def test_without_or_with_a_wrong_token_nothing_is_decoded(ingress):
    sealed = ingress.post("/codec/encode", json=PLAIN, headers=auth()).json()
    missing = ingress.post("/codec/decode", json=sealed)
    assert missing.status_code == 401 and EMAIL not in missing.text
    wrong = ingress.post("/codec/decode", json=sealed, headers=auth("support-token"))
    assert wrong.status_code == 403 and EMAIL not in wrong.text  # a dedicated token wins


def test_bad_input_is_a_400_with_a_reason_never_a_5xx(ingress):
    sealed = ingress.post("/codec/encode", json=PLAIN, headers=auth()).json()
    raw = bytearray(base64.b64decode(sealed["payloads"][0]["data"]))
    raw[-1] ^= 1
    sealed["payloads"][0]["data"] = b64(bytes(raw))
    tampered = ingress.post("/codec/decode", json=sealed, headers=auth())
    assert tampered.status_code == 400 and "failed authentication" in tampered.json()["error"]
    unknown = {"payloads": [{"metadata": {"encoding": b64(b"binary/encrypted"),
                                          "encryption-key-id": b64(b"k-gone")}, "data": b64(b"x" * 40)}]}
    gone = ingress.post("/codec/decode", json=unknown, headers=auth())
    assert gone.status_code == 400 and "'k-gone', which is not in the key ring" in gone.json()["error"]
    for body in (b"junk", b'{"payloads": [{"data": 5}]}', b"[" * 50_000):
        r = ingress.post("/codec/decode", content=body, headers=auth())
        assert r.status_code == 400, body[:20]
    big = ingress.post("/codec/decode", content=b" " * (8 * 1024 * 1024 + 1), headers=auth())
    assert big.status_code == 413


def test_the_support_token_serves_when_no_codec_token_is_set(tmp_path):
    ingress = client_for(tmp_path, keys=new_key_line())
    assert ingress.post("/codec/encode", json=PLAIN, headers=auth("support-token")).status_code == 200


def test_off_without_keys_or_without_any_token(tmp_path):
    no_keys = client_for(tmp_path / "a", endpoint_token=TOKEN)
    r = no_keys.post("/codec/decode", json=PLAIN, headers=auth())
    assert r.status_code == 404 and "encryption is off" in r.json()["error"]
    settings = load_settings(data_dir=tmp_path / "b", temporal={"codec": {"keys": new_key_line()}})
    no_token = TestClient(create_app(settings, relay_every=3600))
    r = no_token.post("/codec/decode", json=PLAIN, headers=auth())
    assert r.status_code == 403 and "codec endpoint is off" in r.json()["error"]
