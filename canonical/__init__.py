"""The business language shared by every layer: money, entities, events, statuses.

Pure: imports nothing of ours and does no I/O, so workflows can use it.
"""

SCHEMA_VERSION = 1
