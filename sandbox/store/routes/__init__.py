"""REST v3 routes, one module per resource; each registers on the shared table."""
from sandbox.store.router import Routes

routes = Routes()


def load() -> Routes:
    from sandbox.store.routes import (categories, customers, notes, orders, products,  # noqa: F401
                                      refunds, webhooks)

    return routes
