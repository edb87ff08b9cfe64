"""A small WP-REST-style router: routes per resource, permission kinds, replies."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from sandbox.store.auth import ApiKey
from sandbox.store.errors import WooError, invalid_param
from sandbox.store.site import Site

PERMISSION_ERRORS = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "read": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    "batch": ("woocommerce_rest_cannot_batch",
              "Sorry, you are not allowed to batch manipulate this resource."),
}
WRITE = ("POST", "PUT", "PATCH")


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # run after the transaction commits, before the response is sent
    after: list[Callable[[], None]] = field(default_factory=list)


@dataclass
class Ctx:
    site: Site
    method: str
    path: str  # below /wp-json/wc/v3/
    query_items: list[tuple[str, str]]
    body: Any
    key: ApiKey | None
    home: str

    @property
    def query(self) -> dict[str, str]:
        return dict(self.query_items)  # last value wins, as in PHP's $_GET

    def param(self, name: str, default: Any = None) -> Any:
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        return self.query.get(name, default)

    def data(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    def int_param(self, name: str, default: int | None = None) -> int | None:
        value = self.param(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise invalid_param(name, f"{name} is not of type integer.") from None

    def bool_param(self, name: str, default: bool = False) -> bool:
        value = self.param(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no", ""):
            return False
        raise invalid_param(name, f"{name} is not of type boolean.")

    @property
    def dp(self) -> int:
        return abs(self.int_param("dp", self.site.dp))


Handler = Callable[..., Reply]


@dataclass
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: Handler
    permission: str


class Routes:
    def __init__(self) -> None:
        self.items: list[Route] = []

    def add(self, methods: str, pattern: str, permission: str) -> Callable[[Handler], Handler]:
        regex = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>\\d+)", pattern) + "/?$")

        def deco(fn: Handler) -> Handler:
            self.items.append(Route(tuple(methods.split()), regex, fn, permission))
            return fn
        return deco

    def match(self, method: str, path: str) -> tuple[Route, dict[str, int]] | None:
        for route in self.items:
            m = route.pattern.match(path)
            if m and method in route.methods:
                return route, {k: int(v) for k, v in m.groupdict().items()}
        return None


def permission_error(kind: str) -> WooError:
    code, message = PERMISSION_ERRORS[kind]
    return WooError(code, message, 401)  # 401: no user is authenticated
