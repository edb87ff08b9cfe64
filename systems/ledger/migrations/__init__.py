"""Alembic migrations for the ledger, shipped as package data and run from code
(`Ledger.migrate()`, `wooerp ledger migrate`)."""
