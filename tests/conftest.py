"""Shared fixtures live in tests/fixtures/, one module per real piece."""
pytest_plugins = [
    "tests.fixtures.repo_only",
    "tests.fixtures.temporal",
    "tests.fixtures.store",
    "tests.fixtures.erp",
    "tests.fixtures.ledger",
]


def pytest_xdist_make_scheduler(config, log):
    """Two work units for `-n 2` (bootstrap.py test): the e2e package, and
    everything else. Each runs in one process, in collection order, so tests
    that share a session's Tryton, store and Temporal see each other's
    leftovers exactly as in a run in one process. (xdist's own loadgroup
    cannot do it: it renames node ids through an attribute pytest 9 no longer
    reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByPackage(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "e2e" if nodeid.startswith("tests/e2e/") else "rest"

    return ByPackage(config, log)
