"""One HTTP call: the bearer token, a timeout, retries on 429/503 honouring Retry-After."""

from __future__ import annotations

import json
import random
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.client import HTTPResponse
from typing import IO, Any, Literal

from .errors import EngramError

Method = Literal["GET", "POST", "PATCH", "DELETE"]
QueryValue = str | int | bool | None

RETRY_STATUS = frozenset({429, 503})
# Refusals the service answers before doing any work, so a POST can be sent again without creating a
# duplicate. A 503 DATABASE_UNAVAILABLE may come after a write committed: such a POST is not retried.
BEFORE_WORK = frozenset({"RATE_LIMITED", "OVERLOADED", "NOT_READY", "AUTH_UNAVAILABLE"})
USER_AGENT = "engram-client-python/0.1.0"
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: urllib would send the Authorization header to wherever it points."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> None:
        return None


@dataclass
class Transport:
    base_url: str
    token: str | Callable[[], str] = field(repr=False)
    timeout: float
    max_retries: int
    retry_base: float = 0.25
    max_retry_delay: float = 10.0
    opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(_NoRedirect()), repr=False
    )

    def url(self, path: str, query: Mapping[str, QueryValue] | None = None) -> str:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        url = urllib.parse.urljoin(base, path.lstrip("/"))
        params = [(k, _query_value(v)) for k, v in (query or {}).items() if v is not None]
        return f"{url}?{urllib.parse.urlencode(params)}" if params else url

    def call(
        self,
        method: Method,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, QueryValue] | None = None,
        accept: str = "application/json",
    ) -> HTTPResponse:
        """Sends the request and returns the open 2xx response (the caller reads and closes it).

        GET, DELETE and PATCH are retried on 429/503 and on network errors (a PATCH sets fields to the
        values it carries: sent twice, it leaves the same memory); a POST only on refusals that come
        before any work (rate limit, full queue, not ready), never on a 503 that may follow a
        committed write. A timeout is not retried.
        """
        url = self.url(path, query)
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        idempotent = method != "POST"
        attempt = 0
        while True:
            token = self.token() if callable(self.token) else self.token
            headers = {"Authorization": f"Bearer {token}", "Accept": accept, "User-Agent": USER_AGENT}
            if data is not None:
                headers["Content-Type"] = "application/json"
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                response: HTTPResponse = self.opener.open(request, timeout=self.timeout)
                return response
            except urllib.error.HTTPError as err:
                error = _to_error(err)
                retry_after = err.headers.get("Retry-After") if err.headers is not None else None
                err.close()
                if err.code in RETRY_STATUS and attempt < self.max_retries and (
                    idempotent or error.code in BEFORE_WORK
                ):
                    delay = retry_after_seconds(retry_after)
                    time.sleep(min(delay if delay is not None else self._backoff(attempt), self.max_retry_delay))
                    attempt += 1
                    continue
                raise error from None
            except (TimeoutError, socket.timeout) as err:
                raise EngramError(0, "TIMEOUT", f"no answer within {self.timeout} s") from err
            except (urllib.error.URLError, OSError) as err:
                reason = err.reason if isinstance(err, urllib.error.URLError) else err
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    raise EngramError(0, "TIMEOUT", f"no answer within {self.timeout} s") from err
                if idempotent and attempt < self.max_retries:
                    time.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise EngramError(0, "NETWORK_ERROR", str(reason)) from err

    def json(
        self,
        method: Method,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, QueryValue] | None = None,
    ) -> Any:
        """``call`` and the response's JSON body (None for an empty body, e.g. 204)."""
        with self.call(method, path, body=body, query=query) as response:
            try:
                raw = response.read()
            except (TimeoutError, socket.timeout) as err:
                raise EngramError(0, "TIMEOUT", f"no answer within {self.timeout} s") from err
            except OSError as err:
                raise EngramError(0, "NETWORK_ERROR", str(err)) from err
        if not raw:
            return None
        return json.loads(raw)

    def _backoff(self, attempt: int) -> float:
        base = min(self.max_retry_delay, self.retry_base * 2.0**attempt)
        return base / 2 + random.random() * (base / 2)


def _query_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_error(err: urllib.error.HTTPError) -> EngramError:
    try:
        text = err.read().decode("utf-8", errors="replace")
    except Exception:  # noqa: BLE001 - a body that cannot be read is left out
        text = ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        detail = body.get("detail")
        memory_id = body.get("memory_id")
        request_id = body.get("request_id")
        return EngramError(
            err.code,
            body["code"],
            "" if detail is None else str(detail),
            memory_id if isinstance(memory_id, str) else None,
            request_id if isinstance(request_id, str) else None,
        )
    # Not the service's error body (a proxy's page, say).
    return EngramError(err.code, f"HTTP_{err.code}", text[:200] or str(err.reason))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        return None
    return max(0.0, at.timestamp() - (time.time() if now is None else now))
