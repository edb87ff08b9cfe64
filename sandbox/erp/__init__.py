"""The sandbox ERP: a real Tryton on SQLite, seeded with the demo catalog.

    wooerp sandbox erp [--port 8000] [--data-dir .wooerp/erp] [--fresh]
    wooerp sandbox warehouse [--ship-delay 5] [--invoice-delay 5]

template.py builds and caches the seeded database, instance.py copies and
serves it, seed.py fills it (run in its own process), config.py writes
trytond.conf and erp.json, cli.py holds the two commands.
"""
