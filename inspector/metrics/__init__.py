"""``mvtep exporter``'s metrics: what a node snapshot says, as Prometheus metric families.

:mod:`~inspector.metrics.table` names every metric (the README's table and
the dashboard test read it); :mod:`~inspector.metrics.families` turns one
gather into families, purely; :mod:`~inspector.metrics.promclient` is the one
module importing ``prometheus_client`` (the exposition format and the HTTP
server).
"""
