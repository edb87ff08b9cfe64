"""`wooerp demo`: run the embedded stack and drive demo traffic through it.

The demo is a *user* of wooerp: it starts `wooerp dev` as a child process,
reads the endpoints from `<data dir>/dev.json`, places orders through the
store's REST API with the `woocommerce` client and asks for refunds and
returns through the support API, then checks every saga's outcome over HTTP.
"""
