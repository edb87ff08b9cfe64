"""The payload codec: AES-256-GCM over every payload wooerp sends to Temporal.

Temporal stores what it is given, for the retention period. Orders carry a
customer's name, e-mail, phone and address, so each payload is encrypted in
the client before it leaves the process (workers, ingress, CLI) and only
ciphertext reaches the history; failure messages and stack traces are moved
into an encoded payload too (`DefaultFailureConverterWithEncodedAttributes`),
since activity errors quote the data they failed on.

An encrypted payload is `{"encoding": "binary/encrypted", "encryption-key-id":
<id>}` + `nonce (12 bytes) || ciphertext+tag` of the original serialized
payload; the key id is authenticated data, so it cannot be swapped. Payloads
without that encoding pass through decoding untouched: histories written
before encryption was turned on still replay and still read.

Workflows never import this: the codec runs in the client, outside the
workflow sandbox. The same codec serves the Web UI and the `temporal` CLI
through the ingress's /codec endpoint (`encode_json` / `decode_json`, the
remote codec protocol).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Awaitable, Callable, Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from workers.config.keyring import KeyRing

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class CodecError(ValueError):
    """A payload cannot be decoded; the message says which key and why."""


class EncryptionCodec(PayloadCodec):
    """Encrypts with the ring's newest key, decrypts with the key a payload names."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(p) for p in payloads]

    def seal(self, payload: Payload) -> Payload:
        key_id, _ = self.ring.newest
        nonce = os.urandom(NONCE_BYTES)  # 96-bit random nonce per payload
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()},
                       data=nonce + sealed)

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on (or not by us)
        raw_id = payload.metadata.get(KEY_ID, b"")
        key_id = raw_id.decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecError(
                f"payload encrypted with key id {key_id[:64]!r}, which is not in the key ring "
                f"(have: {', '.join(self.ring.ids)}); put its key line back in temporal.codec.keys")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, raw_id)
        except InvalidTag:
            raise CodecError(f"payload under key id {key_id!r} failed authentication: "
                             "it was altered, or encrypted with another key of that id") from None
        return Payload.FromString(plain)


@functools.lru_cache(maxsize=8)
def codec_for(ring: KeyRing) -> EncryptionCodec:
    """One codec per key ring (the ciphers are built once)."""
    return EncryptionCodec(ring)


def data_converter(ring: KeyRing | None) -> DataConverter:
    """THE converter: pydantic payloads, encrypted when a key ring is set."""
    if ring is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec_for(ring),
                               failure_converter_class=DefaultFailureConverterWithEncodedAttributes)


# The remote codec protocol (Web UI, `temporal --codec-endpoint`) -------------------
# Body and answer: {"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]},
# the proto3 JSON form of temporal.api.common.v1.Payloads.

async def encode_json(codec: EncryptionCodec, body: bytes) -> bytes:
    return await _apply(codec.encode, body)


async def decode_json(codec: EncryptionCodec, body: bytes) -> bytes:
    return await _apply(codec.decode, body)


async def _apply(step: Callable[[Sequence[Payload]], Awaitable[Iterable[Payload]]],
                 body: bytes) -> bytes:
    try:
        payloads = json_format.Parse(body, Payloads(), ignore_unknown_fields=True)
    except (json_format.ParseError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise CodecError(f'expected {{"payloads": [...]}} in proto JSON: {_short(exc)}') from None
    done = Payloads(payloads=list(await step(list(payloads.payloads))))
    answer = json_format.MessageToDict(done)
    answer.setdefault("payloads", [])  # proto JSON leaves an empty list out; the UI wants it
    return json.dumps(answer).encode()


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
