"""What a reference server takes on at once (apart from the servers, which load anyio and
wyoming, so that ``serve --help`` can name the default without loading them)."""

from __future__ import annotations

MAX_CONNECTIONS = 64
"""Connections served at once (`serve`'s ``max_connections``); one more is answered ``busy``."""
