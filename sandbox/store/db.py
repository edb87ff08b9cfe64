"""SQLite persistence for the emulator.

WordPress keeps orders, refunds, products and variations as rows of one
posts table sharing one id sequence; we do the same, with the object itself
kept as JSON next to the few columns the list queries filter on. One lock
serialises every request, as the emulator favours fidelity over throughput.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY, type TEXT NOT NULL, parent_id INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT '', sku TEXT, customer_id INTEGER NOT NULL DEFAULT 0,
    created_gmt TEXT NOT NULL, modified_gmt TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS posts_type_modified ON posts (type, modified_gmt, id);
CREATE INDEX IF NOT EXISTS posts_sku ON posts (sku);
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS coupons (code TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (consumer_key TEXT, nonce TEXT, ts INTEGER,
    PRIMARY KEY (consumer_key, nonce));
CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, taxonomy TEXT NOT NULL,
    parent INTEGER NOT NULL DEFAULT 0, slug TEXT NOT NULL, data TEXT NOT NULL);
"""


class Database:
    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)
        self._depth = 0

    @contextmanager
    def tx(self) -> Iterator["Database"]:
        """One transaction per request; a nested use is a savepoint inside it."""
        with self.lock:
            depth = self._depth
            self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                self.conn.execute("ROLLBACK" if depth == 0 else f"ROLLBACK TO sp{depth}")
                raise
            self._depth -= 1
            self.conn.execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}")

    def execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, args)

    def next_id(self, name: str) -> int:
        with self.tx():
            row = self.execute("SELECT value FROM seq WHERE name=?", (name,)).fetchone()
            value = (row["value"] if row else 0) + 1
            self.execute("INSERT OR REPLACE INTO seq (name, value) VALUES (?, ?)", (name, value))
            return value

    # -- posts: orders, refunds, products, variations ------------------------
    def save_post(self, obj: dict[str, Any], type_: str) -> None:
        self.execute(
            "INSERT OR REPLACE INTO posts (id, type, parent_id, status, sku, customer_id,"
            " created_gmt, modified_gmt, data) VALUES (?,?,?,?,?,?,?,?,?)",
            (obj["id"], type_, obj.get("parent_id") or 0, obj.get("status") or "",
             obj.get("sku") or None, obj.get("customer_id") or 0,
             obj["date_created_gmt"], obj["date_modified_gmt"], json.dumps(obj)),
        )

    def get_post(self, id_: int, *types: str) -> dict[str, Any] | None:
        row = self.execute("SELECT type, data FROM posts WHERE id=?", (id_,)).fetchone()
        if row is None or (types and row["type"] not in types):
            return None
        return json.loads(row["data"])

    def post_type(self, id_: int) -> str | None:
        row = self.execute("SELECT type FROM posts WHERE id=?", (id_,)).fetchone()
        return row["type"] if row else None

    def query_posts(self, where: str, args: tuple, order: str) -> list[dict[str, Any]]:
        rows = self.execute(f"SELECT data FROM posts WHERE {where} ORDER BY {order}", args)
        return [json.loads(r["data"]) for r in rows]

    def delete_post(self, id_: int) -> None:
        self.execute("DELETE FROM posts WHERE id=?", (id_,))

    # -- simple JSON tables ----------------------------------------------------
    def save_row(self, table: str, key: str, value: Any, obj: dict[str, Any], **cols: Any) -> None:
        names = [key, *cols, "data"]
        marks = ",".join("?" * len(names))
        self.execute(
            f"INSERT OR REPLACE INTO {table} ({','.join(names)}) VALUES ({marks})",
            (value, *cols.values(), json.dumps(obj)),
        )

    def get_row(self, table: str, key: str, value: Any) -> dict[str, Any] | None:
        row = self.execute(f"SELECT data FROM {table} WHERE {key}=?", (value,)).fetchone()
        return json.loads(row["data"]) if row else None

    def rows(self, table: str, where: str = "1", args: tuple = (), order: str = "rowid") -> list[dict]:
        cur = self.execute(f"SELECT data FROM {table} WHERE {where} ORDER BY {order}", args)
        return [json.loads(r["data"]) for r in cur]

    def kv_get(self, key: str) -> Any:
        row = self.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return json.loads(row["value"]) if row else None

    def kv_set(self, key: str, value: Any) -> None:
        self.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, json.dumps(value)))
