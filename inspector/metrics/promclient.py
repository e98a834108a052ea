"""The ``prometheus_client`` adapter: families -> its metric types, and the
HTTP server for ``/metrics`` and ``/healthz``.  The only module importing
``prometheus_client``.

A scrape never reads the node: :class:`LastGather` hands the registry the
metric objects built once per gather, and ``prometheus_client``'s own WSGI
app formats them (text or OpenMetrics as the scraper asks, gzip when
accepted).  The server is ``prometheus_client``'s threading WSGI server, so
a slow scraper does not hold up another.
"""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer

from inspector.metrics.families import Family
from mvcore.errors import Unavailable

__all__ = ["LastGather", "MetricsServer"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _metric(f: Family) -> Metric:
    names = list(f.spec.labels)
    m: Metric
    if f.spec.type == "counter":
        m = CounterMetricFamily(f.spec.name.removesuffix("_total"), f.spec.help, labels=names)
    else:
        m = GaugeMetricFamily(f.spec.name, f.spec.help, labels=names)
    for s in f.samples:
        m.add_metric(list(s.labels), s.value)
    return m


class LastGather:
    """A collector holding the metrics of the last gather (swapped whole, so a
    scrape sees one gather, never half of two)."""

    def __init__(self) -> None:
        self._metrics: tuple[Metric, ...] = ()

    def update(self, families: Iterable[Family]) -> None:
        self._metrics = tuple(_metric(f) for f in families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._metrics)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base class names it format
        pass  # one line per scrape would flood the pod's log


class MetricsServer:
    """``/metrics`` from a :class:`LastGather`, ``/healthz`` from a callable
    saying whether the last gather read the node (and why not)."""

    def __init__(self, listen: tuple[str, int], collector: LastGather,
                 health: Callable[[], tuple[bool, str]]) -> None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)  # a collector is anything with collect()
        metrics = make_wsgi_app(registry)

        def app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/healthz":
                ok, words = health()
                start("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
                return [(words + "\n").encode()]
            return metrics(environ, start)  # type: ignore[no-any-return]

        host, port = listen
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("Server", (ThreadingWSGIServer,), {"address_family": family})
        try:
            self._server: ThreadingWSGIServer = make_server(host, port, app, server_class, handler_class=_Quiet)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise Unavailable(f"cannot listen on {host}:{port}: the port is in use",
                                  hint="another exporter may be running; pick another port") from e
            raise Unavailable(f"cannot listen on {host}:{port}: {e.strerror}") from e
        self.address: tuple[str, int] = (host, self._server.server_port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="mvtep-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
