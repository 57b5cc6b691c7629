"""One Python tooz coordinator for interop tests, on any tooz URL: runs one
JSON command per stdin line and answers one JSON line per command.

argv: tooz URL, member id

Values cross as JSON, with Python types JSON lacks tagged both ways:
{"bytes": "<hex>"}, {"int": "<decimal>"} (beyond 2**53), {"float": "<repr>"}
(whole or non-finite floats, which JavaScript would read as ints).
"""
import json
import math
import os
import sys

from tooz import coordination


def from_json(value):
    if isinstance(value, dict) and len(value) == 1:
        (tag, text), = value.items()
        if tag == "bytes":
            return bytes.fromhex(text)
        if tag == "int":
            return int(text)
        if tag == "float":
            return float(text)
    if isinstance(value, list):
        return [from_json(item) for item in value]
    if isinstance(value, dict):
        return {key: from_json(item) for key, item in value.items()}
    return value


def to_json(value):
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    # Plain JSON numbers where JavaScript reads them back exactly; tagged where the type or the value would be lost.
    if isinstance(value, int):
        return value if -(2**53) < value < 2**53 else {"int": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) and not value.is_integer() else {"float": repr(value)}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_json(item) for item in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return {(k.decode() if isinstance(k, bytes) else str(k)): to_json(v) for k, v in value.items()}
    return repr(value)


def text(value):
    return value.decode() if isinstance(value, bytes) else value


coordinator = coordination.get_coordinator(sys.argv[1], sys.argv[2].encode())
coordinator.start(start_heart=True)
locks = {}
partitioners = {}


def lock(name, as_text=False):
    # A lock's key depends on whether its name is bytes or str in tooz 3.1.0.
    if (name, as_text) not in locks:
        locks[(name, as_text)] = coordinator.get_lock(name if as_text else name.encode())
    return locks[(name, as_text)]


def run(command, args):
    if command == "try_lock":
        return lock(args[0]).acquire(blocking=False)
    if command == "lock":
        return lock(args[0]).acquire(blocking=True)
    if command == "unlock":
        return lock(args[0]).release()
    if command == "try_lock_text":
        return lock(args[0], as_text=True).acquire(blocking=False)
    if command == "unlock_text":
        return lock(args[0], as_text=True).release()
    if command == "create":
        return coordinator.create_group(args[0].encode()).get() or True
    if command == "delete":
        return coordinator.delete_group(args[0].encode()).get() or True
    if command == "join":
        caps = from_json(args[1]) if len(args) > 1 else b""
        return coordinator.join_group(args[0].encode(), caps).get() or True
    if command == "leave":
        return coordinator.leave_group(args[0].encode()).get() or True
    if command == "groups":
        return sorted(text(g) for g in coordinator.get_groups().get())
    if command == "members":
        return sorted(text(m) for m in coordinator.get_members(args[0].encode()).get())
    if command == "capabilities":
        return coordinator.get_member_capabilities(args[0].encode(), args[1].encode()).get()
    if command == "heartbeat":
        return coordinator.heartbeat()
    if command == "join_partitioned":
        weight = args[1] if len(args) > 1 else 1
        partitioners[args[0]] = coordinator.join_partitioned_group(args[0].encode(), weight=weight)
        return True
    if command == "members_for":
        partitioner = partitioners[args[0]]
        coordinator.run_watchers()
        members = partitioner.members_for_object(from_json(args[1]))
        return sorted(text(m) for m in members)
    if command == "str":
        return str(from_json(args[0]))
    raise ValueError("unknown command " + command)


sys.stdout.write(json.dumps("ready") + "\n")
sys.stdout.flush()
for line in sys.stdin:
    command, *args = json.loads(line)
    if command == "quit":
        break
    if command == "crash":
        # Gone without stop(): no leave, no release; its beat key and locks stay until their TTLs run out.
        sys.stdout.write(json.dumps({"ok": True}) + "\n")
        sys.stdout.flush()
        os._exit(0)
    try:
        answer = {"ok": to_json(run(command, args))}
    except Exception as error:  # reported to the test, which fails on it
        answer = {"error": type(error).__name__ + ": " + str(error)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
coordinator.stop()
