"""Pointing Google API clients at another endpoint (an emulator, or the fake in tests)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter


class EndpointAdapter(HTTPAdapter):
    """Sends ``https://<host>/<path>?<query>`` to ``<endpoint>/<host>/<path>?<query>``."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = f"{self.endpoint}/{parts.netloc}{parts.path}" + (
            f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def mount_endpoint(endpoint: str) -> Any:
    """A ``mount`` callback for :func:`ttcs.google.transport.connect`."""

    def mount(session: requests.Session) -> None:
        session.mount("https://", EndpointAdapter(endpoint))

    return mount
