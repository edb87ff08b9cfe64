"""WooCommerce / WordPress REST error bodies (CONTRACT.md section 5)."""
from __future__ import annotations

from typing import Any


class WooError(Exception):
    """Raised by handlers; rendered as {code, message, data}.

    `data` normally carries {"status": N}. The refund controller's quirk of
    passing a bare int as data is reproduced by passing `data=<int>`: WordPress
    then answers HTTP 500 because it cannot find data.status.
    """

    def __init__(self, code: str, message: str, status: int = 400, data: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = {"status": status} if data is None else data
        self.headers = headers or {}
        self.commit = False  # True: answer with the error but keep what was written

    @property
    def http_status(self) -> int:
        if isinstance(self.data, dict) and isinstance(self.data.get("status"), int):
            return self.data["status"]
        return 500

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.data}


def no_route() -> WooError:
    return WooError("rest_no_route", "No route was found matching the URL and request method", 404)


def invalid_param(name: str, message: str, detail_code: str = "rest_invalid_type") -> WooError:
    return WooError(
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        data={"status": 400, "params": {name: message},
              "details": {name: {"code": detail_code, "message": message, "data": None}}},
    )


def missing_params(*names: str) -> WooError:
    return WooError(
        "rest_missing_callback_param",
        f"Missing parameter(s): {', '.join(names)}",
        data={"status": 400, "params": list(names)},
    )


def invalid_id(post_type: str, status: int = 404) -> WooError:
    return WooError(f"woocommerce_rest_{post_type}_invalid_id", "Invalid ID.", status)


def bare_wp_error(code: str, message: str) -> WooError:
    """A WP_Error a controller passes on as it got it, without data: WordPress
    answers HTTP 500 with `"data": null` (wp_update_term's errors, for one)."""
    err = WooError(code, message)
    err.data = None
    return err
