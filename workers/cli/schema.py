"""`wooerp schema`: the JSON Schema of every canonical entity and event."""
from __future__ import annotations

import json

import typer

from canonical.schema import json_schemas
from workers.cli import app


@app.command()
def schema() -> None:
    """Print one JSON object: schema version, then entity and event schemas by name."""
    typer.echo(json.dumps(json_schemas(), indent=2, sort_keys=True))
