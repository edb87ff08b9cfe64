"""REST v3 routes, one module per resource; each registers on the shared table."""
from sandbox.store.router import Routes

routes = Routes()


def load() -> Routes:
    from sandbox.store.routes import customers, notes, orders, products, refunds, webhooks  # noqa: F401

    return routes
