"""Shared fixtures live in tests/fixtures/, one module per real piece."""
import pytest

pytest_plugins = [
    "tests.fixtures.repo_only",
    "tests.fixtures.temporal",
    "tests.fixtures.store",
    "tests.fixtures.erp",
    "tests.fixtures.ledger",
]


def pytest_collection_modifyitems(items) -> None:
    """Two groups for `-n 2 --dist loadgroup` (bootstrap.py test): the e2e
    package, and everything else. Each group runs in one process, in
    collection order, so tests that share a session's Tryton, store and
    Temporal see each other's leftovers exactly as in a run in one process."""
    for item in items:
        e2e = item.nodeid.startswith("tests/e2e/")
        item.add_marker(pytest.mark.xdist_group("e2e" if e2e else "rest"))
