"""The store's REST API keys, generated once and kept in <data-dir>/credentials.json."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from sandbox.store.auth import ApiKey

ENV_KEY = "WOOERP_STORE_CONSUMER_KEY"
ENV_SECRET = "WOOERP_STORE_CONSUMER_SECRET"


def new_key(permissions: str = "read_write") -> ApiKey:
    return ApiKey("ck_" + secrets.token_hex(20), "cs_" + secrets.token_hex(20), permissions)


def load_or_create(data_dir: Path, consumer_key: str | None = None,
                   consumer_secret: str | None = None) -> ApiKey:
    """Options win, then the environment, then the saved file; else a new pair is saved."""
    path = data_dir / "credentials.json"
    ck = consumer_key or os.environ.get(ENV_KEY)
    cs = consumer_secret or os.environ.get(ENV_SECRET)
    if ck and cs:
        key = ApiKey(ck, cs)
    elif path.exists():
        saved = json.loads(path.read_text())
        key = ApiKey(saved["consumer_key"], saved["consumer_secret"],
                     saved.get("permissions", "read_write"))
    else:
        key = new_key()
    path.write_text(json.dumps({"consumer_key": key.consumer_key,
                                "consumer_secret": key.consumer_secret,
                                "permissions": key.permissions}, indent=2))
    path.chmod(0o600)  # it is a secret
    return key
