"""The official `woocommerce` client with an OAuth 1.0a nonce that cannot repeat.

Over http the package signs every request with OAuth 1.0a, and its nonce is an
HMAC of eight digits from `random`: 10**8 values. WooCommerce refuses a nonce
it has seen in the last 15 minutes (401 "Invalid nonce - nonce has already
been used."), so a busy integration collides by the birthday bound: about one
request in three failed after 10,000 calls in 15 minutes. Here the nonce is
160 bits from `secrets`; everything else is the package's own signing.
"""
from __future__ import annotations

import secrets
from time import time
from typing import Any

from woocommerce import API
from woocommerce.oauth import OAuth


class _OAuth(OAuth):
    @staticmethod
    def generate_nonce() -> str:
        return secrets.token_hex(20)


class StoreAPI(API):
    """`woocommerce.API`, signing with `_OAuth` (the package builds its OAuth
    object in a private method, so that method is the one overridden)."""

    def _API__get_oauth_url(self, url: str, method: str, **kwargs: Any) -> str:
        return _OAuth(url=url, consumer_key=self.consumer_key,
                      consumer_secret=self.consumer_secret, version=self.version,
                      method=method,
                      oauth_timestamp=kwargs.get("oauth_timestamp", int(time()))).get_oauth_url()
