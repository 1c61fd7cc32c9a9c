#!/usr/bin/env python3
"""kafka workload: an append-only log per key, with consumer offsets.

The first node id (sorted) is the leader and holds every log. Other nodes forward each
client request to it in a `forward` message, and the leader answers the client directly
(dest = the client, in_reply_to = the client's msg_id), as lin_kv.py does. A send's offset
is the length of its key's log; each send and commit is appended to a file in
FAULTLINE_DATA_DIR and fsync'd before the reply, so a restarted leader still has them.
A poll returns every message from the offset asked for. When the leader is cut off,
requests through other nodes time out: unavailable, never wrong.

--wrong (or kafka_wrong.py): every node keeps its own logs and answers from them, so two
nodes hand out the same offset of a key to different messages.
"""
import sys

from node_lib import Node

OPERATIONS = ("send", "poll", "commit_offsets", "list_committed_offsets")


def main(wrong=False):
    node = Node("kafka-wrong" if wrong else "kafka")
    logs = {}  # key -> [message, ...]; a message's offset is its position
    committed = {}  # key -> offset

    def init():
        for entry in node.read_lines("log.jsonl"):
            if entry[0] == "send":
                logs.setdefault(entry[1], []).append(entry[2])
            else:
                committed[entry[1]] = max(committed.get(entry[1], 0), entry[2])

    def perform(body):
        """The reply body for one request, applied to this node's logs."""
        kind = body["type"]
        if kind == "send":
            log = logs.setdefault(body["key"], [])
            node.append_lines("log.jsonl", [["send", body["key"], body["msg"]]])
            log.append(body["msg"])
            return {"type": "send_ok", "offset": len(log) - 1}
        if kind == "poll":
            msgs = {}
            for key, start in body["offsets"].items():
                log = logs.get(key, [])
                msgs[key] = [[i, log[i]] for i in range(max(0, start), len(log))]
            return {"type": "poll_ok", "msgs": msgs}
        if kind == "commit_offsets":
            lines = [["commit", k, o] for k, o in body["offsets"].items()]
            node.append_lines("log.jsonl", lines)
            for key, offset in body["offsets"].items():
                committed[key] = max(committed.get(key, 0), offset)
            return {"type": "commit_offsets_ok"}
        offsets = {k: committed[k] for k in body["keys"] if k in committed}
        return {"type": "list_committed_offsets_ok", "offsets": offsets}

    def answer(client, client_msg_id, body):
        reply = perform(body)
        reply["in_reply_to"] = client_msg_id
        node.send(client, reply)

    node.on_init(init)
    if wrong:
        for kind in OPERATIONS:
            node.on(kind, lambda msg: answer(msg["src"], msg["body"].get("msg_id"), msg["body"]))
    else:
        node.serve_at_leader(OPERATIONS, answer)
    node.run()


if __name__ == "__main__":
    main(wrong="--wrong" in sys.argv[1:])
