"""Python tooz's etcd3gw driver against a test etcd, for interop checks.

Debian's tooz 3.1.0 calls ``etcd3gw.client(api_path=...)``, which etcd3gw
2.0.0's module-level ``client()`` does not accept (TOOZ.md, "Debian 3.1.0
etcd3gw is broken as packaged"); the ``Etcd3Client`` class does, so the
shim below routes the call there. etcd 3.4 serves the gateway at /v3/.

Usage: tooz_etcd.py URL MEMBER COMMAND [ARGS...]; prints one JSON line per result.
  groups                      every group id
  members GROUP               {member id: capabilities}
  join GROUP CAPS_JSON        joins, prints "joined", stays until stdin closes, then leaves
"""
import json
import sys

import etcd3gw
from etcd3gw.client import Etcd3Client

etcd3gw.client = lambda **kwargs: Etcd3Client(**kwargs)

from tooz import coordination  # noqa: E402


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def main():
    url, member, command, *args = sys.argv[1:]
    coordinator = coordination.get_coordinator(url, member.encode())
    coordinator.start()
    try:
        if command == "groups":
            print(json.dumps(sorted(text(g) for g in coordinator.get_groups().get())))
        elif command == "members":
            group = args[0].encode()
            ids = coordinator.get_members(group).get()
            print(json.dumps({text(m): coordinator.get_member_capabilities(group, m).get() for m in ids}))
        elif command == "join":
            group = args[0].encode()
            coordinator.join_group(group, json.loads(args[1])).get()
            print(json.dumps("joined"), flush=True)
            sys.stdin.read()
            coordinator.leave_group(group).get()
        else:
            raise SystemExit("unknown command " + command)
    finally:
        coordinator.stop()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
