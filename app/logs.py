"""Logging: readable lines in development, one JSON object a line in production.

Each request gets an id (echoed in the ``X-Request-Id`` header and on error pages). Log lines
carry ids, routes and statuses, never passwords, tokens, addresses, phone numbers or notes.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

_HANDLER_NAME = "voisinage"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, time in UTC."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if has_request_context():
            payload.setdefault("request_id", getattr(g, "request_id", None))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def install(app: Flask) -> None:
    """Attach the handler and the per-request id and access line."""
    logger = logging.getLogger("voisinage")
    handler = next((h for h in logger.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.set_name(_HANDLER_NAME)
        logger.addHandler(handler)
    # The latest app decides the format (one handler a process, whatever the apps built before).
    if app.config.get("LOG_JSON"):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.setLevel(logging.INFO)
    logger.propagate = bool(app.config.get("TESTING"))

    @app.before_request
    def _start():
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def _access(response):
        from flask_login import current_user

        response.headers["X-Request-Id"] = g.get("request_id", "")
        if request.endpoint != "static":
            duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
            user = current_user.get_id() if current_user and current_user.is_authenticated else None
            logger.info(
                "%s %s %s", request.method, request.url_rule or "-", response.status_code,
                extra={"fields": {
                    "request_id": g.get("request_id"), "user_id": user,
                    "route": str(request.url_rule or "-"), "method": request.method,
                    "status": response.status_code, "duration_ms": round(duration, 1),
                }},
            )
        return response
