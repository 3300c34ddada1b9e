"""gunicorn settings for Voisinage (``make serve``; ``gunicorn -c deploy/gunicorn.conf.py``).

Every value can be changed by an environment variable of the same name (``GUNICORN_WORKERS``…),
so a host's unit file changes settings without editing this file. The app keeps no state in a
worker's memory that another worker or host would need (sessions and the outbox are rows in the
database, rate-limit counters live in Redis), so workers and hosts can be added freely.
"""

from __future__ import annotations

import multiprocessing
import os

import gunicorn.http.wsgi


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


#: Where to listen: behind the load balancer or the local reverse proxy, never on a public address.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: Synchronous workers: the usual (2 × cores) + 1, since a request mostly waits for the database.
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
#: A few threads per worker keep a slow client from holding a whole worker.
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
#: A request taking longer than this is killed and its worker restarted (the longest page is an
#: agent's CSV export, a few seconds on 20,000 residents).
timeout = _int("GUNICORN_TIMEOUT", 30)
#: Time given to finish the requests in flight on SIGTERM (deploys, restarts).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
#: Behind a load balancer that reuses connections: keep them a little longer than its idle timeout.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
#: Restart each worker after this many requests (plus jitter), bounding any slow memory growth.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
#: Access log on stdout (journald or the container collects it); "" turns it off.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
#: Client address, request line without the query string (it may carry a token), status, size,
#: duration in microseconds and the request id the app sets; never cookies or bodies.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
#: The X-Forwarded-* headers are read by the app (ProxyFix, PROXY_HOPS), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"
#: Each worker builds its own app: database connections are never shared across a fork.
preload_app = False
proc_name = "voisinage"

# No version banner: gunicorn always writes a Server header; make it say nothing about itself.
gunicorn.http.wsgi.SERVER = "voisinage"
