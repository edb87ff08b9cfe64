"""Shared fixtures live in tests/fixtures/, one module per real piece."""
pytest_plugins = [
    "tests.fixtures.repo_only",
    "tests.fixtures.temporal",
    "tests.fixtures.store",
    "tests.fixtures.erp",
    "tests.fixtures.ledger",
]
