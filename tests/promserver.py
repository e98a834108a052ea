"""Real Prometheus and real ``mvtep exporter`` processes for tests, on loopback ports.

Prometheus is Debian's (fetched by :mod:`mvtep.sandbox.prometheus` into the
cache, never installed), started with its own config and TSDB in a temp
directory, scraping and evaluating every second; the exporter is
``python -m mvtep exporter`` against a sandbox node.  Both are stopped by
the pid they were started with.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from mvtep.sandbox.node import Sandbox
from mvtep.sandbox.prometheus import ensure_prometheus
from tests.conftest import node_env

T = TypeVar("T")
RULES = Path(__file__).resolve().parent.parent / "deploy" / "prometheus" / "mvtep-rules.yml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll ``probe`` until it gives something; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = probe()
        except (OSError, urllib.error.URLError):
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def exporter(box: Sandbox, log: Path, port: int | None = None) -> Iterator[str]:
    """``mvtep exporter`` on ``box``, gathering every second; yields its base URL."""
    port = port or free_port()
    env = node_env(box)
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "mvtep", "exporter", "--listen", f"127.0.0.1:{port}",
                                 "--interval", "1"], env=env, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_get(f"{url}/healthz")[0] == 200, f"the exporter on {url} to read the node")
        yield url
    finally:
        _stop(proc)


@contextmanager
def prometheus(tmp: Path, targets: Mapping[str, str], rules: Path | None = RULES) -> Iterator[str]:
    """Prometheus scraping ``targets`` (node name -> host:port, job ``mvtep``,
    the node name as the ``node`` label, as the ServiceMonitor's relabelling
    gives it) every second, with ``rules``; yields its base URL."""
    tools = ensure_prometheus(os.environ)
    tmp.mkdir(parents=True, exist_ok=True)
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)] if rules else [],
        "scrape_configs": [{"job_name": "mvtep", "static_configs": [
            {"targets": [target], "labels": {"node": name}} for name, target in targets.items()]}],
    }
    (tmp / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    with open(tmp / "prometheus.log", "wb") as log:
        proc = subprocess.Popen(tools.argv("prometheus", f"--config.file={tmp / 'prometheus.yml'}",
                                           f"--storage.tsdb.path={tmp / 'data'}",
                                           f"--web.listen-address=127.0.0.1:{port}"),
                                stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_get(f"{url}/-/ready")[0] == 200, "Prometheus to be ready")
        yield url
    finally:
        _stop(proc)


def query(url: str, promql: str) -> list[dict[str, Any]]:
    """An instant query's result (the vector's elements)."""
    status, body = http_get(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
    assert status == 200, body
    result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
    return result
