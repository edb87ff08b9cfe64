"""The OAuth 1.0a nonce our store client signs with (systems/woocommerce/oauth.py).

WooCommerce refuses a nonce it saw in the last 15 minutes. The official
package's nonce comes from eight digits of `random`, so it repeats by chance
after some thousands of calls, and every time a process reseeds `random`.
"""
from __future__ import annotations

import random
from urllib.parse import parse_qs, urlsplit

from systems.woocommerce.oauth import StoreAPI

URL = "http://shop.example/wp-json/wc/v3/orders?per_page=1"


def nonce(api: StoreAPI) -> str:
    signed = api._API__get_oauth_url(URL, "GET", oauth_timestamp=1_700_000_000)
    return parse_qs(urlsplit(signed).query)["oauth_nonce"][0]


def api() -> StoreAPI:
    return StoreAPI(url="http://shop.example", consumer_key="ck_x", consumer_secret="cs_x")


def test_the_nonce_does_not_come_from_the_random_module():
    random.seed(7)
    first = nonce(api())
    random.seed(7)
    assert nonce(api()) != first


def test_nonces_do_not_repeat_where_the_packages_eight_digits_would():
    seen = {nonce(api()) for _ in range(20_000)}
    assert len(seen) == 20_000
    assert all(len(n) >= 32 for n in seen)  # at least 128 bits, hex
