#!/usr/bin/python3
"""Generate packages/core/test/fixtures/hashring-vectors.json from Python tooz.

Run with the system Python, which has tooz installed:

    /usr/bin/python3 scripts/gen-hashring-vectors.py

The output is deterministic (fixed seed, sorted results), so re-running it
must leave the file unchanged.

Encoding used in the JSON:
  * a str (node, data, ignore entry) is a JSON string; bytes are {"hex": "..."};
    data is always hashed as bytes (get_nodes() needs them): a string is its UTF-8;
  * node names in results and "nodes" are how tooz-ts names a node: the str
    itself, or bytes decoded as UTF-8 with 'backslashreplace';
  * "expect" lists are sorted, since tooz returns sets;
  * ring ops: ["add", [nodes], weight] | ["remove", node] | ["remove", node, error]
    where error is "UnknownNode" or "KeyError" (tooz crashes half-way; the ring
    is corrupt afterwards, so such a case has no later queries);
  * a query may carry "tooz": "hangs" | "IndexError" where tooz never returns;
    "expect" then holds the owners found in one turn of the ring, which is what
    tooz-ts returns instead.
"""

import importlib.metadata
import json
import os
import random

from tooz import hashring
from tooz import partitioner

SEED = 20240613
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'packages', 'core', 'test', 'fixtures',
                   'hashring-vectors.json')

rng = random.Random(SEED)


def enc(value):
    if isinstance(value, bytes):
        return {'hex': value.hex()}
    return value


def enc_data(data):
    # Data is always hashed as bytes, so valid UTF-8 can be shown as text.
    if isinstance(data, bytes):
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError:
            return enc(data)
    return data


def name(node):
    if isinstance(node, bytes):
        return node.decode('utf-8', 'backslashreplace')
    return node


def as_bytes(data):
    return data if isinstance(data, bytes) else data.encode('utf-8')


def one_turn(ring, data, ignore, replicas):
    """The owners a single walk round the ring finds (where tooz would not return)."""
    points = ring._partitions
    if not points:
        return set()
    at = ring._get_partition(data)
    found = set()
    for _ in range(len(points)):
        if len(found) >= replicas:
            break
        owner = ring._ring[points[at]]
        if owner not in ignore:
            found.add(owner)
        at = at + 1 if at + 1 < len(points) else 0
    return found


def query(ring, data, replicas=1, ignore=()):
    raw = as_bytes(data)
    ignore = list(ignore)
    q = {'data': enc_data(data), 'replicas': replicas,
         'ignore': [enc(i) for i in ignore]}
    ignored = set(ignore)
    wanted = min(replicas, len(set(ring.nodes) - ignored))
    reachable = set(ring._ring.values()) - ignored
    if wanted > 0 and not ring._partitions:
        q['tooz'] = 'IndexError'
        result = set()
    elif wanted > len(reachable):
        q['tooz'] = 'hangs'
        result = one_turn(ring, raw, ignored, wanted)
    else:
        result = ring.get_nodes(raw, ignore_nodes=ignore or None,
                                replicas=replicas)
    q['expect'] = sorted(name(n) for n in result)
    return q


def ring_case(cid, queries, init=(), ops=(), partitions=32, hash_fn='md5',
              note=None):
    """Builds the ring in Python, runs ops then queries; `queries` is
    [(data, replicas, ignore)] or a callable(ring) returning that list."""
    ring = hashring.HashRing([], partitions=partitions, hash_function=hash_fn)
    # HashRing(init) adds set(init), whose order Python randomises; add in list
    # order instead, and check it is the same thing where no point collides.
    ring.add_nodes(list(init))
    if len(ring) == partitions * len(set(init)):
        plain = hashring.HashRing(init, partitions=partitions,
                                  hash_function=hash_fn)
        assert plain._ring == ring._ring
    case = {'id': cid, 'hash': hash_fn, 'partitions': partitions,
            'init': [enc(n) for n in init], 'ops': []}
    if note:
        case['note'] = note
    corrupt = False
    for op in ops:
        if op[0] == 'add':
            ring.add_nodes(list(op[1]), weight=op[2])
            case['ops'].append(['add', [enc(n) for n in op[1]], op[2]])
        else:
            entry = ['remove', enc(op[1])]
            try:
                ring.remove_node(op[1])
            except hashring.UnknownNode:
                entry.append('UnknownNode')
            except KeyError:
                entry.append('KeyError')
                corrupt = True
            case['ops'].append(entry)
            if corrupt:
                break
    if corrupt:
        case['nodes'] = {name(n): w for n, w in ring.nodes.items()}
        case['queries'] = []
        return case
    case['len'] = len(ring)
    case['nodes'] = {name(n): w for n, w in ring.nodes.items()}
    if callable(queries):
        queries = queries(ring)
    case['queries'] = [query(ring, *q) for q in queries]
    return case


# --- Node and data pools ----------------------------------------------------

ASCII_NODES = ['node-%d' % i for i in range(1, 40)] + [
    'compute-01.example.org', 'conductor', 'worker_7', 'A', 'b', 'x' * 40,
    '10.0.0.1:5672', 'member/with/slashes', 'with space']
UNICODE_NODES = ['узел-1', 'узел-2', '節点-東京', '節点-大阪', 'ñodo',
                 'شبکه', '\u0634\u0628\u06a9\u0647', 'κόμβος', '🦄-node',
                 'node-🚀', 'Zürich', 'città', 'e\u0301té']
BYTES_NODES = [b'member-1', b'member-2', b'member-3', b'\x00\x01\x02',
               b'Z\xe2\xfa\x90\x17EC\xac\xae\x88\xa7[\xa1}:E',
               'узел-bytes'.encode('utf-8'), b'\xff\xfe', b'caf\xc3\xa9',
               b'bad\xed\xa0\x80surrogate', b'trunc\xe2\x82']
DATA = ['', 'fake', 'fake-again', 'chupacabra', 'чупакабра', 'a', 'obj',
        'key-0', 'key-1', '42', 'über', '数据', '🦄🦄🦄', ' ', '\x00',
        'x' * 300, 'resource/instance/7f3c', b'\xff\x00\xfe', b'\x80']


def random_bytes(low, high):
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(low, high)))


def random_nodes(count):
    pool_choice = rng.random()
    chosen, names = [], set()
    while len(chosen) < count:
        r = rng.random()
        if pool_choice < 0.5 or r < 0.55:
            node = rng.choice(ASCII_NODES)
        elif r < 0.8:
            node = rng.choice(UNICODE_NODES)
        else:
            node = rng.choice(BYTES_NODES + [random_bytes(1, 12)])
        if name(node) in names:
            continue
        names.add(name(node))
        chosen.append(node)
    return chosen


def random_data():
    r = rng.random()
    if r < 0.45:
        return rng.choice(DATA)
    if r < 0.75:
        return 'key-%d' % rng.randint(0, 10**6)
    if r < 0.9:
        return ''.join(chr(rng.choice([rng.randint(0x20, 0x7e),
                                       rng.randint(0xa0, 0x2fff),
                                       rng.randint(0x1f300, 0x1f6ff)]))
                       for _ in range(rng.randint(1, 10)))
    return random_bytes(0, 20)


def random_queries(count=5):
    def build(ring):
        out = []
        current = list(ring.nodes)
        for _ in range(count):
            replicas = rng.choice([1, 1, 2, 3, 4])
            r = rng.random()
            if r < 0.55 or not current:
                ignore = []
            elif r < 0.75:
                ignore = rng.sample(current, rng.randint(1, len(current)))
            elif r < 0.85:
                ignore = list(current)  # everything ignored: empty result
            else:
                ignore = [rng.choice(current), 'not-a-node']
            out.append((random_data(), replicas, ignore))
        return out
    return build


# --- Cases --------------------------------------------------------------------

cases = []

# TOOZ.md §1.13 table, verbatim.
fbb = ['foo', 'bar', 'baz']
cases.append(ring_case('tooz-md/foo-bar-baz', [
    (b'fake', 1, ()), (b'fake', 2, ()), (b'fake', 1, ['foo']),
    (b'fake-again', 1, ()), (b'fake-again', 2, ()),
    (b'chupacabra', 1, ()), (b'chupacabra', 2, ()),
    ('чупакабра'.encode(), 1, ()), ('чупакабра'.encode(), 2, ()),
    (b'fake', 3, ()), (b'fake-again', 3, ()),
    (b'fake', 1, ['foo', 'bar']), (b'fake', 1, fbb)], init=fbb))
cases.append(ring_case('tooz-md/sha256', [(b'fake', 1, ())],
                       init=['foo', 'bar'], hash_fn='sha256'))
cases.append(ring_case('tooz-md/bytes-weight', [(b'obj', 1, ()), (b'obj', 2, ())],
                       ops=[('add', [b'member-1'], 2), ('add', [b'member-2'], 1)]))

# tooz's own unit tests, as vectors.
cases.append(ring_case('tooz-test/add-node-weight', [(b'fake', 1, ())],
                       init=['foo', 'bar'], ops=[('add', ['baz'], 10)]))
cases.append(ring_case('tooz-test/add-nodes-weight', [(b'fake', 2, ())],
                       init=['foo', 'bar'], ops=[('add', ['baz', 'baz2'], 10)]))
cases.append(ring_case('tooz-test/remove-node-bytes', [(b'fake', 2, ())],
                       init=['foo', BYTES_NODES[4]],
                       ops=[('remove', BYTES_NODES[4])]))
cases.append(ring_case('tooz-test/add-node-unicode', [(b'fake', 3, ())],
                       init=['foo', 'bar'],
                       ops=[('add', ['\u0634\u0628\u06a9\u0647'], 1)]))
cases.append(ring_case('tooz-test/remove-unknown', [(b'fake', 1, ())],
                       init=['foo', 'bar'], ops=[('remove', 'biz')]))
cases.append(ring_case('tooz-test/add-then-remove', [(b'fake', 1, ()), (b'fake-again', 2, ())],
                       init=['foo', 'bar'],
                       ops=[('add', ['baz'], 1), ('remove', 'bar')]))
cases.append(ring_case('tooz-test/ignore-non-existent', [(b'fake', 1, ['baz'])],
                       init=['foo', 'bar']))
cases.append(ring_case('empty-ring', [(b'fake', 1, ()), (b'', 3, ())]))
cases.append(ring_case('removed-to-empty', [(b'fake', 1, ())],
                       init=['foo'], ops=[('remove', 'foo')]))

# Colliding points: 'aa'×n is 'a'×2n, so these nodes share points.
collide = 'a×k keys share points: later adds take them over, removals delete them'
cases.append(ring_case('collision/a-then-aa', random_queries(8),
                       ops=[('add', ['a'], 1), ('add', ['aa'], 1)], note=collide))
cases.append(ring_case('collision/aa-then-a', random_queries(8),
                       ops=[('add', ['aa'], 1), ('add', ['a'], 1)], note=collide))
cases.append(ring_case('collision/batch-order', random_queries(8),
                       ops=[('add', ['aaaa', 'a', 'aa'], 2)], note=collide))
cases.append(ring_case('collision/remove-takes-others', random_queries(8),
                       ops=[('add', ['aa'], 1), ('add', ['a'], 1), ('add', ['b'], 1),
                            ('remove', 'a')], note=collide))
cases.append(ring_case('collision/remove-owner', random_queries(8),
                       ops=[('add', ['a'], 1), ('add', ['aa', 'c'], 1),
                            ('remove', 'a')], note=collide))
cases.append(ring_case('collision/bytes-and-str', random_queries(8),
                       ops=[('add', [b'ab'], 1), ('add', ['abab', 'zz'], 2),
                            ('remove', b'ab')], partitions=8, note=collide))
cases.append(ring_case('collision/second-remove-keyerror', [],
                       ops=[('add', ['aa'], 1), ('add', ['a'], 1),
                            ('remove', 'a'), ('remove', 'aa')], note=collide))
cases.append(ring_case('collision/node-without-points', [
    (b'fake', 1, ()), (b'fake', 2, ()), (b'x', 3, ()), (b'fake', 2, ['a'])],
    ops=[('add', ['aa'], 1), ('add', ['a'], 5), ('add', ['b'], 1)], partitions=2,
    note='aa loses both its points to a: tooz loops forever for 3 replicas'))
cases.append(ring_case('collision/nodes-but-no-points', [(b'fake', 1, ()), (b'fake', 2, ())],
                       ops=[('add', ['aa'], 1), ('add', ['a'], 5), ('remove', 'a')],
                       partitions=2, note='aa is a node with no points: tooz IndexError'))
for i, (w1, w2) in enumerate([(1, 3), (2, 1), (4, 4)]):
    cases.append(ring_case('collision/weights-%d' % i, random_queries(6),
                           ops=[('add', ['ab'], w1), ('add', ['abab', 'ababab'], w2)],
                           partitions=rng.choice([8, 32]), note=collide))

# Re-adding with another weight leaves the old extra points (tooz keeps them).
cases.append(ring_case('readd/lower-weight', random_queries(8),
                       init=['p', 'q'], ops=[('add', ['r'], 3), ('add', ['r'], 1)]))
cases.append(ring_case('readd/lower-weight-then-remove', random_queries(8),
                       init=['p', 'q'], ops=[('add', ['r'], 3), ('add', ['r'], 1),
                                             ('remove', 'r')],
                       note='r keeps 64 stale points after removal and still owns data'))
cases.append(ring_case('readd/higher-weight', random_queries(8),
                       init=['p', 'q', 'r'], ops=[('add', ['q'], 4)]))

# Hash functions beyond md5, including hashlib-only spellings.
for hash_fn in ['sha1', 'sha256', 'sha512', 'sha3_256', 'blake2b', 'sha224']:
    for j in range(2 if hash_fn in ('sha1', 'sha256') else 1):
        nodes = random_nodes(rng.randint(2, 8))
        cases.append(ring_case('hash/%s-%d' % (hash_fn, j), random_queries(),
                               init=nodes, partitions=rng.choice([1, 8, 32, 64]),
                               hash_fn=hash_fn))

# Random rings.
i = 0
while len(cases) < 270:
    i += 1
    hash_fn = rng.choices(['md5', 'sha1', 'sha256'], [0.8, 0.1, 0.1])[0]
    partitions = rng.choice([1, 8, 32, 32, 64])
    nodes = random_nodes(rng.randint(1, 12))
    cut = rng.randint(0, len(nodes))
    init, rest = nodes[:cut], nodes[cut:]
    ops = []
    while rest:
        take = rng.randint(1, len(rest))
        ops.append(('add', rest[:take], rng.choice([1, 1, 2, 3, 4, 5])))
        rest = rest[take:]
    present = list(nodes)
    for _ in range(rng.choice([0, 0, 1, 2])):
        if rng.random() < 0.15:
            ops.append(('remove', 'never-added'))
        elif len(present) > 1:
            victim = present.pop(rng.randrange(len(present)))
            ops.append(('remove', victim))
    cases.append(ring_case('random/%03d' % i, random_queries(),
                           init=init, ops=ops, partitions=partitions, hash_fn=hash_fn))


# --- Partitioner ----------------------------------------------------------------

class _Done(object):
    def __init__(self, value):
        self._value = value

    def get(self, timeout=None):
        return self._value


class FakeCoordinator(object):
    """Just what Partitioner calls on a coordinator."""

    def __init__(self, members, member_id):
        self._members = members
        self._member_id = member_id

    def get_members(self, group_id):
        return _Done([m for m, _ in self._members])

    def get_member_capabilities(self, group_id, member_id):
        caps = dict(self._members)[member_id]
        # tooz latest gives non-dict capabilities weight 1 (TOOZ.md §1.14);
        # the installed 3.1.0 would raise AttributeError on them.
        return _Done(caps if isinstance(caps, dict) else {})

    def watch_join_group(self, group_id, callback):
        pass

    watch_leave_group = unwatch_join_group = unwatch_leave_group = watch_join_group


class Hashable(object):
    def __init__(self, raw):
        self.raw = raw

    def __tooz_hash__(self):
        return self.raw


def enc_caps(caps):
    if isinstance(caps, bytes):
        return {'$bytes': caps.hex()}
    return caps


def enc_obj(obj):
    if isinstance(obj, Hashable):
        return {'toozHash': obj.raw.hex()}
    return obj


CAPS = [{'weight': 1}, {'weight': 2}, {'weight': 3}, {'weight': 5}, {},
        {'weight': 4, 'zone': 'eu-1'}, {'zone': 'us'}, b'', None, 'text', [1, 2], 7]
OBJECTS = ['чупакабра', 'chupacabra', '', 'instance-1', 42, 0, -7, 2**40,
           '🦄', 'a b c']

pcases = []
for k in range(45):
    count = rng.randint(1, 10)
    bytes_ids = k % 3 == 0  # tooz members' ids are often bytes
    ids = []
    while len(ids) < count:
        candidate = rng.choice(ASCII_NODES + UNICODE_NODES)
        if candidate not in ids:
            ids.append(candidate)
    py_ids = [i.encode('utf-8') if bytes_ids else i for i in ids]
    members = [(m, rng.choice(CAPS)) for m in py_ids]
    me = rng.choice(py_ids)
    partitions = rng.choice([8, 32, 32, 64])
    p = partitioner.Partitioner(FakeCoordinator(members, me), 'group',
                                partitions=partitions)
    case = {'id': 'partitioner/%02d' % k, 'partitions': partitions,
            'members': [[name(m), enc_caps(c)] for m, c in members],
            'self': name(me), 'bytesIds': bytes_ids,
            'weights': {name(m): w for m, w in p.ring.nodes.items()},
            'len': len(p.ring), 'queries': []}
    for _ in range(6):
        r = rng.random()
        if r < 0.5:
            obj = rng.choice(OBJECTS)
        elif r < 0.75:
            obj = 'obj-%d' % rng.randint(0, 10**5)
        else:
            obj = Hashable(random_bytes(0, 16))
        replicas = rng.choice([1, 1, 2, 3])
        ignore = rng.sample(py_ids, rng.randint(0, len(py_ids))) if rng.random() < 0.3 else []
        result = p.members_for_object(obj, ignore_members=ignore or None,
                                      replicas=replicas)
        case['queries'].append({
            'obj': enc_obj(obj), 'replicas': replicas,
            'ignore': [name(m) for m in ignore],
            'expect': sorted(name(m) for m in result),
            'self': p.belongs_to_self(obj, ignore_members=ignore or None,
                                      replicas=replicas)})
    pcases.append(case)


def dump(items):
    return ',\n'.join('    ' + json.dumps(c, ensure_ascii=False, sort_keys=False)
                      for c in items)


with open(OUT, 'w', encoding='utf-8') as f:
    f.write('{\n')
    f.write('  "generator": "scripts/gen-hashring-vectors.py",\n')
    f.write('  "tooz": %s,\n' % json.dumps(importlib.metadata.version('tooz')))
    f.write('  "seed": %d,\n' % SEED)
    f.write('  "ring": [\n%s\n  ],\n' % dump(cases))
    f.write('  "partitioner": [\n%s\n  ]\n' % dump(pcases))
    f.write('}\n')

print('%d ring cases (%d queries), %d partitioner cases (%d queries) -> %s' % (
    len(cases), sum(len(c['queries']) for c in cases), len(pcases),
    sum(len(c['queries']) for c in pcases), os.path.relpath(OUT)))
