#!/usr/bin/env python3
"""g-counter workload: {type: add, delta} -> add_ok; {type: read} -> {type: read_ok, value}.

A state-based CRDT: each node keeps a map node id -> [increments, decrements]; it only ever
raises its own entry, and merges others' maps entry by entry with max. The whole map is
gossiped to every peer every 200 ms (a lost datagram is repaired by the next round), and the
map is fsync'd to FAULTLINE_DATA_DIR before add_ok, so a killed node comes back with every
increment it acknowledged. Negative deltas are counted as decrements, so the same program
also passes pn-counter.

--wrong (or g_counter_wrong.py): each node keeps one total, adds its deltas to it, and on
gossip keeps the larger of its total and the peer's: concurrent increments made on
different nodes overwrite each other and are lost.
"""
import sys

from node_lib import Node

GOSSIP_INTERVAL = 0.2


def main(wrong=False):
    node = Node("g-counter-wrong" if wrong else "g-counter")
    counts = {}  # node id -> [increments, decrements]
    wrong_total = {"value": 0}

    def value():
        if wrong:
            return wrong_total["value"]
        return sum(p - n for p, n in counts.values())

    def init():
        if not wrong:
            for k, v in node.load("counts.json", {}).items():
                counts[k] = [int(v[0]), int(v[1])]
        node.every(GOSSIP_INTERVAL, gossip)

    def add(msg):
        delta = int(msg["body"]["delta"])
        if wrong:
            wrong_total["value"] += delta
        else:
            mine = list(counts.get(node.node_id, [0, 0]))
            if delta >= 0:
                mine[0] += delta
            else:
                mine[1] -= delta
            updated = dict(counts)
            updated[node.node_id] = mine
            node.save("counts.json", updated)  # durable before the acknowledgement
            counts[node.node_id] = mine
        node.reply(msg, {"type": "add_ok"})

    def read(msg):
        node.reply(msg, {"type": "read_ok", "value": value()})

    def gossip():
        for peer in node.peers():
            if wrong:
                node.send(peer, {"type": "counter_state", "total": wrong_total["value"]})
            else:
                node.send(peer, {"type": "counter_state", "counts": counts})

    def merge(msg):
        body = msg["body"]
        if wrong:
            wrong_total["value"] = max(wrong_total["value"], int(body.get("total", 0)))
            return
        changed = False
        for k, v in (body.get("counts") or {}).items():
            mine = counts.get(k, [0, 0])
            merged = [max(mine[0], int(v[0])), max(mine[1], int(v[1]))]
            if merged != mine:
                counts[k] = merged
                changed = True
        if changed:
            node.save("counts.json", counts)

    node.on_init(init)
    node.on("add", add)
    node.on("read", read)
    node.on("counter_state", merge)
    node.run()


if __name__ == "__main__":
    main(wrong="--wrong" in sys.argv[1:])
