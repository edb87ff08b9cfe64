"""The payload codec and its key ring (workers/sagas/codec.py, workers/config/keyring.py)."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from canonical.entities import Address
from workers.config.keyring import KeyRing, new_key_line
from workers.config.settings import SettingsError, load_settings
from workers.sagas import codec
from workers.sagas.connect import converter

EMAIL = "jane.doe@example.com"


def ring(*lines: str) -> KeyRing:
    return KeyRing.parse(",".join(lines))


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_a_payload_round_trips_and_no_plain_text_is_left():
    c = codec.EncryptionCodec(ring(new_key_line()))
    original = plain(f"customer {EMAIL}")
    sealed, = await c.encode([original])
    assert sealed.metadata["encoding"] == codec.ENCODING
    assert EMAIL.encode() not in sealed.SerializeToString()
    assert (await c.decode([sealed])) == [original]
    again, = await c.encode([original])
    assert again.data != sealed.data  # a fresh nonce per payload


async def test_after_rotation_new_payloads_use_the_new_key_and_old_ones_still_decode():
    old = new_key_line()
    before = codec.EncryptionCodec(ring(old))
    written_before, = await before.encode([plain("before")])
    new = new_key_line()
    after = codec.EncryptionCodec(ring(new, old))  # the new line in front
    written_after, = await after.encode([plain("after")])
    assert written_after.metadata[codec.KEY_ID].decode() == new.split(":")[0]
    assert await after.decode([written_before, written_after]) == [plain("before"), plain("after")]


async def test_a_key_that_left_the_ring_is_named_in_a_clear_error():
    old, new = new_key_line(), new_key_line()
    sealed, = await codec.EncryptionCodec(ring(old)).encode([plain("x")])
    with pytest.raises(codec.CodecError, match=rf"key id '{old.split(':')[0]}', which is not in "
                                               rf"the key ring \(have: {new.split(':')[0]}\)"):
        await codec.EncryptionCodec(ring(new)).decode([sealed])


@pytest.mark.parametrize("tamper", ["data", "key id", "same id, other key"])
async def test_a_tampered_payload_is_refused(tamper: str):
    line = new_key_line()
    key_id = line.split(":")[0]
    c = codec.EncryptionCodec(ring(line))
    sealed, = await c.encode([plain("pay 10.00")])
    reader = c
    if tamper == "data":
        flipped = bytearray(sealed.data)
        flipped[-1] ^= 1
        sealed.data = bytes(flipped)
    elif tamper == "key id":  # another key of the ring, named instead of the one used
        other = new_key_line()
        reader = codec.EncryptionCodec(ring(other, line))
        sealed.metadata[codec.KEY_ID] = other.split(":")[0].encode()
    else:
        reader = codec.EncryptionCodec(ring(f"{key_id}:{new_key_line().split(':')[1]}"))
    with pytest.raises(codec.CodecError, match="failed authentication"):
        await reader.decode([sealed])


async def test_payloads_written_without_the_codec_pass_through():
    c = codec.EncryptionCodec(ring(new_key_line()))
    old = [plain("recorded before encryption"), Payload(metadata={"encoding": b"binary/null"})]
    assert await c.decode(old) == old


async def test_the_converter_encrypts_values_and_failure_messages(tmp_path):
    settings = load_settings(data_dir=tmp_path, temporal={"codec": {"keys": new_key_line()}})
    conv = converter(settings.temporal)
    address = Address(first_name="Jane", last_name="Doe", email=EMAIL)
    payloads = await conv.encode([address])
    assert EMAIL.encode() not in b"".join(p.SerializeToString() for p in payloads)
    assert (await conv.decode(payloads, [Address])) == [address]

    failure = Failure()
    await conv.encode_failure(ApplicationError(f"customer {EMAIL} refused"), failure)
    assert EMAIL.encode() not in failure.SerializeToString()
    assert failure.message == "Encoded failure"
    decoded = await conv.decode_failure(failure)
    assert str(decoded) == f"customer {EMAIL} refused"


def test_without_keys_the_converter_is_the_plain_one(tmp_path):
    conv = converter(load_settings(data_dir=tmp_path).temporal)
    assert conv.payload_codec is None


def test_key_lines_are_checked_at_start_up_without_showing_the_key():
    key = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(SettingsError) as caught:
        load_settings(temporal={"codec": {"keys": f"short:{key}"}})
    assert "'short' is 16 bytes, AES-256 needs 32" in str(caught.value)
    assert key not in str(caught.value)
    for bad, reason in [("nocolon", "not 'id:base64key'"), ("a b:xx", "the id must be"),
                        ("k:!!!", "not valid base64"), (f"{new_key_line()},{new_key_line()[:5]}", "key 2 is not"),
                        ("", "no key")]:
        with pytest.raises(ValueError, match=reason):
            KeyRing.parse(bad)
    line = new_key_line()
    with pytest.raises(ValueError, match="appears twice"):
        KeyRing.parse(f"{line}\n{line}")
    assert line.split(":")[1] not in repr(KeyRing.parse(line))


def test_a_key_file_holds_one_line_per_key_with_comments(tmp_path):
    new, old = new_key_line(), new_key_line()
    keys = tmp_path / "keys"
    keys.write_text(f"{new}  # since March\n# retired, kept for old histories:\n{old}\n")
    settings = load_settings(temporal={"codec": {"keys_file": str(keys)}})
    assert settings.temporal.codec.key_ring().ids == (new.split(":")[0], old.split(":")[0])


def test_the_dev_key_file_in_the_data_dir_is_the_default(tmp_path):
    line = new_key_line()
    assert load_settings(data_dir=tmp_path).temporal.codec.keys is None
    (tmp_path / "codec.keys").write_text(line + "\n")
    ring_ = load_settings(data_dir=tmp_path).temporal.codec.key_ring()
    assert ring_.ids == (line.split(":")[0],)
    explicit = new_key_line()
    chosen = load_settings(data_dir=tmp_path, temporal={"codec": {"keys": SecretStr(explicit)}})
    assert chosen.temporal.codec.key_ring().ids == (explicit.split(":")[0],)


async def test_the_remote_codec_protocol_speaks_proto_json():
    c = codec.EncryptionCodec(ring(new_key_line()))
    body = json.dumps({"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                                     "data": base64.b64encode(json.dumps(EMAIL).encode()).decode()}]})
    encoded = json.loads(await codec.encode_json(c, body.encode()))
    meta = encoded["payloads"][0]["metadata"]
    assert base64.b64decode(meta["encoding"]) == codec.ENCODING
    assert EMAIL not in json.dumps(encoded)
    decoded = json.loads(await codec.decode_json(c, json.dumps(encoded).encode()))
    assert decoded == json.loads(body)
    assert json.loads(await codec.decode_json(c, b'{"payloads": []}')) == {"payloads": []}
    for bad in (b"not json", b'{"payloads": 5}', b"[" * 100_000):
        with pytest.raises(codec.CodecError, match="expected"):
            await codec.decode_json(c, bad)


async def test_rotate_key_puts_a_new_key_in_front_and_old_payloads_still_read(tmp_path):
    wooerp = Path(sys.executable).parent / "wooerp"
    env = {**os.environ, "WOOERP_DATA_DIR": str(tmp_path)}
    keys = tmp_path / "codec.keys"
    first = subprocess.run([str(wooerp), "temporal", "rotate-key"], env=env,
                           capture_output=True, text=True, timeout=60, check=True)
    keys.write_text(first.stdout)
    before = codec.EncryptionCodec(load_settings(data_dir=tmp_path).temporal.codec.key_ring())
    run = subprocess.run([str(wooerp), "temporal", "rotate-key", "--key-file", str(keys)], env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    ring_ = load_settings(data_dir=tmp_path).temporal.codec.key_ring()
    assert ring_.ids[1:] == before.ring.ids and len(ring_.ids) == 2
    assert f"new key {ring_.ids[0]} is first" in run.stdout
    assert base64.b64encode(ring_.newest[1]).decode() not in run.stdout + run.stderr
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    written, = await before.encode([plain("old")])
    assert await codec.EncryptionCodec(ring_).decode([written]) == [plain("old")]
