"""Registers the built-in command groups on the app (one module per group)."""
