"""Prometheus' HTTP API (``/api/v1/query``, instant queries) over urllib.

The one module that talks to Prometheus: an answer is checked for the
shape the API documents (https://prometheus.io/docs/prometheus/latest/querying/api/),
and anything else -- an unreachable server, an HTTP error, a page that is not
the API, a query Prometheus refuses -- is one :class:`~mvcore.errors.Unavailable`
saying which.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mvcore.errors import Unavailable, UsageError

__all__ = ["PromSample", "PrometheusApi"]


@dataclass(frozen=True, slots=True)
class PromSample:
    """One element of an instant vector."""

    labels: Mapping[str, str]
    value: float


class PrometheusApi:
    def __init__(self, url: str, timeout: float) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"{url!r} is not an http:// or https:// URL", topic="prometheus")
        self.url, self.timeout = url.rstrip("/"), timeout

    def query(self, promql: str) -> tuple[PromSample, ...]:
        """Evaluate ``promql`` now; the instant vector it gives."""
        body = urllib.parse.urlencode({"query": promql}).encode()
        request = urllib.request.Request(f"{self.url}/api/v1/query", data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            raw = e.read()  # the API answers a bad query with 400 and a JSON error
            if not raw.lstrip().startswith(b"{"):
                raise Unavailable(f"{self.url} did not answer as Prometheus' HTTP API does (HTTP {e.code} {e.reason})",
                                  topic="prometheus") from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise Unavailable(f"cannot reach Prometheus at {self.url}: {reason}", topic="prometheus") from e
        return _vector(self.url, promql, raw)


def _vector(url: str, promql: str, raw: bytes) -> tuple[PromSample, ...]:
    try:
        doc: Any = json.loads(raw)
    except ValueError as e:
        raise Unavailable(f"{url} did not answer as Prometheus' HTTP API does (not JSON)", topic="prometheus") from e
    if not isinstance(doc, dict) or doc.get("status") not in ("success", "error"):
        raise Unavailable(f"{url} did not answer as Prometheus' HTTP API does", topic="prometheus")
    if doc["status"] == "error":
        raise Unavailable(f"Prometheus refused {promql!r}: {doc.get('error', 'no reason given')}",
                          topic="prometheus")
    data = doc.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "vector" or not isinstance(data.get("result"), list):
        raise Unavailable(f"Prometheus at {url} gave no instant vector for {promql!r}", topic="prometheus")
    out = []
    for item in data["result"]:
        try:
            labels = {str(k): str(v) for k, v in item["metric"].items()}
            value = float(item["value"][1])  # [<unix time>, "<value as a string>"]
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            raise Unavailable(f"Prometheus at {url} answered {promql!r} with a malformed sample",
                              topic="prometheus") from e
        if not math.isnan(value):
            out.append(PromSample(labels, value))
    return tuple(out)
