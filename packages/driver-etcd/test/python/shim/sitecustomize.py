"""Loaded at start-up by the Python tooz peer (PYTHONPATH points here).

Debian's tooz 3.1.0 calls ``etcd3gw.client(api_path=...)``, which etcd3gw
2.0.0's module-level ``client()`` does not accept (TOOZ.md, "Debian 3.1.0
etcd3gw is broken as packaged"); the ``Etcd3Client`` class does, so the
call is routed there. The same shim as in ``../tooz_etcd.py``.
"""
import etcd3gw
from etcd3gw.client import Etcd3Client

etcd3gw.client = lambda **kwargs: Etcd3Client(**kwargs)
