"""Registers the built-in command groups on the app (one module per group)."""
from workers.cli import ledger  # noqa: F401,E402
from workers.cli import orders  # noqa: F401,E402
from workers.cli import refunds  # noqa: F401,E402
from workers.cli import dev  # noqa: F401,E402
from workers.cli import temporal  # noqa: F401,E402
from workers.cli import worker  # noqa: F401,E402
from workers.cli import schema  # noqa: F401,E402
from workers.cli import ingress  # noqa: F401,E402
from workers.cli import webhooks  # noqa: F401,E402
from workers.cli import doctor  # noqa: F401,E402
from workers.cli import reconcile  # noqa: F401,E402
from workers.cli import report  # noqa: F401,E402
from workers.cli import inventory  # noqa: F401,E402
from workers.cli import backfill  # noqa: F401,E402
