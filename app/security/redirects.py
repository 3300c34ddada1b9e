"""Redirect targets limited to this site: no open redirect through ``next=`` or a Referer."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for


def is_safe_target(target: str | None) -> bool:
    """A path on this site: starts with one slash, no scheme, no host, no backslash trick."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default_endpoint: str = "public.home") -> str:
    """The ``next`` parameter when it stays on the site, else the default page."""
    target = request.values.get("next")
    return target if is_safe_target(target) else url_for(default_endpoint)


def safe_referrer(default_endpoint: str = "public.home") -> str:
    """The page the request came from, when it is on this site."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc == request.host:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if is_safe_target(path):
            return path
    return url_for(default_endpoint)
