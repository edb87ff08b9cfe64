"""A WooCommerce store emulator (REST v3 + webhooks) for tests and demos.

It follows ../shared/reference/woocommerce/CONTRACT.md: the product talks to
it with the real `woocommerce` client exactly as it would to a real store.
"""
