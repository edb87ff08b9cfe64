"""Structured logging for every wooerp process.

One pipeline for both structlog loggers (our code) and the standard library
`logging` (temporalio, uvicorn, httpx): JSON lines when stderr is not a TTY,
readable console output when it is. Context bound with `log_context(...)`
(`workflow_id`, `store`, `woo_order_id`, `delivery_id`) is added to every
line, and `redact_processor` runs last before rendering, so no secret or
personal data reaches the output whichever logger produced it.

    configure_logging(settings.log.level, settings.log.format)
    log = get_logger(__name__)
    with log_context(store="default", woo_order_id=42):
        log.info("order captured", total="10.00")
"""
from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog
from structlog.contextvars import bound_contextvars as log_context
from structlog.stdlib import ExtraAdder, ProcessorFormatter

from workers.config.redaction import redact_processor

__all__ = ["configure_logging", "get_logger", "log_context"]

LogFormat = Literal["auto", "json", "console"]

# Context fields that temporalio puts on its stdlib records (in `extra`), lifted
# to the top level so activity/workflow logs can be filtered like ours.
_TEMPORAL_EXTRAS = ("temporal_activity", "temporal_workflow")
_LIFTED = ("workflow_id", "run_id", "activity_type", "workflow_type", "attempt")


def _lift_temporal_context(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for extra in _TEMPORAL_EXTRAS:
        info = event_dict.get(extra)
        if isinstance(info, dict):
            for key in _LIFTED:
                if key in info:
                    event_dict.setdefault(key, info[key])
    return event_dict


def _renderer(fmt: LogFormat, stream: TextIO) -> structlog.typing.Processor:
    tty = hasattr(stream, "isatty") and stream.isatty()
    if fmt == "json" or (fmt == "auto" and not tty):
        return structlog.processors.JSONRenderer(default=str)
    return structlog.dev.ConsoleRenderer(colors=tty)


def configure_logging(
    level: str = "INFO", fmt: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging through one redacting renderer. Idempotent."""
    stream = stream or sys.stderr
    level_no = logging.getLevelName(level.upper())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            # Redact here too, so even another handler on the root logger (e.g.
            # pytest's capture) only ever sees the masked event.
            structlog.processors.format_exc_info,
            redact_processor,
            ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level_no),
        cache_logger_on_first_use=False,
    )
    formatter = ProcessorFormatter(
        foreign_pre_chain=[*shared, ExtraAdder(), _lift_temporal_context],
        processors=[
            ProcessorFormatter.remove_processors_meta,
            # Tracebacks become text *before* redaction, so their messages are scrubbed too.
            structlog.processors.format_exc_info,
            redact_processor,
            _renderer(fmt, stream),
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.set_name("wooerp")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "wooerp"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_no)
    # One line per HTTP request to the store or the ERP drowns the saga's own
    # log at INFO; their failures still surface through our error handling.
    for chatty in ("httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(chatty).setLevel(max(level_no, logging.WARNING))


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
