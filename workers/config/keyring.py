"""The key ring of the payload codec: which AES-256 keys exist, which is newest.

A key ring is written as key lines, newest first, separated by commas or
newlines (a file may hold one per line, `#` starts a comment):

    k20260301-5f2a:QkFTRTY0IE9GIDMyIFJBTkRPTSBCWVRFUyBHTyBIRVJFISE=
    k20251101-09cd:...

The codec encrypts with the first key and decrypts with whichever key a
payload names, so rotating is: put a new line in front (`wooerp temporal
rotate-key` prints one), roll every process, and keep the old lines as long
as histories written with them are retained.

Pure configuration (no cryptography here): settings validate a ring at
start-up with it, `workers/sagas/codec.py` encrypts with it.
"""
from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

KEY_BYTES = 32  # AES-256
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]  # (key id, key), newest first; never empty

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a key ring needs at least one key")

    @property
    def newest(self) -> tuple[str, bytes]:
        return self.keys[0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id for key_id, _ in self.keys)

    def __repr__(self) -> str:  # key material never reaches a log or a traceback
        return f"KeyRing(ids={self.ids!r})"

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Read key lines; every error names the key id (or the line number), never key bytes."""
        keys: list[tuple[str, bytes]] = []
        lines = (line.split("#", 1)[0] for line in spec.splitlines())
        entries = [e.strip() for line in lines for e in line.split(",")]
        for number, entry in enumerate((e for e in entries if e), start=1):
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep:
                raise ValueError(f"key {number} is not 'id:base64key'")
            if not KEY_ID.match(key_id):
                raise ValueError(f"key {number}: the id must be 1-64 of A-Z a-z 0-9 _ . -")
            if key_id in (k for k, _ in keys):
                raise ValueError(f"key id {key_id!r} appears twice")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"key {key_id!r} is not valid base64") from None
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} is {len(key)} bytes, AES-256 needs {KEY_BYTES}")
            keys.append((key_id, key))
        if not keys:
            raise ValueError("no key in the key ring")
        return cls(tuple(keys))


def new_key_line(now: datetime | None = None) -> str:
    """A fresh random key as one key line; the id says when it was made."""
    now = now or datetime.now(timezone.utc)
    key_id = f"k{now:%Y%m%d}-{secrets.token_hex(2)}"
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"
