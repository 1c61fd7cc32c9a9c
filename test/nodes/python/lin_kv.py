#!/usr/bin/env python3
"""lin-kv workload, Raft-like forwarding: read / write / cas on keys.

The first node id (sorted) is the leader. Every other node forwards each client request to
the leader in a `forward` message; the leader performs it against the `lin-kv` service
(Maelstrom's linearizable key-value service, same read / write / cas bodies) and REPLIES TO
THE CLIENT DIRECTLY: dest = the original client id, in_reply_to = the client's msg_id. The
forwarding node never answers itself.

Why this is linearizable under faults: every operation takes effect in the lin-kv service
exactly once or not at all. A forward is never retried (a retried write could take effect
twice, the second time after the client was told it was done); a lost forward or reply
leaves the client to time out (info). When the service does not answer within 2 s the
leader answers error 0 (timeout, indefinite) for write and cas, and 11 for reads (a read
has no effect, so failing it is always safe). Errors from the service (20 key does not
exist, 22 precondition failed) are passed through. When the leader is cut off or down,
requests through other nodes time out: unavailable, but never wrong.

--wrong (or lin_kv_wrong.py): every node keeps its own local map and answers from it; a
value written through one node is not seen by reads through another.
"""
import json
import sys

from node_lib import (
    KEY_DOES_NOT_EXIST,
    PRECONDITION_FAILED,
    TEMPORARILY_UNAVAILABLE,
    TIMEOUT,
    Node,
)

SERVICE = "lin-kv"
SERVICE_TIMEOUT = 2.0
OPERATIONS = ("read", "write", "cas")


def strip_ids(body):
    return {k: v for k, v in body.items() if k not in ("msg_id", "in_reply_to")}


def main(wrong=False):
    node = Node("lin-kv-wrong" if wrong else "lin-kv")
    local = {}  # the wrong variant's map: json(key) -> value

    def serve(client, client_msg_id, request):
        """At the leader: run the request against the service, answer the client directly."""
        kind = request.get("type")
        if kind not in OPERATIONS:
            node.send(client, {"type": "error", "code": 10, "text": f"unsupported {kind}",
                               "in_reply_to": client_msg_id})
            return

        def done(resp):
            body = strip_ids(resp["body"])
            body["in_reply_to"] = client_msg_id
            node.send(client, body)

        def timed_out():
            code = TEMPORARILY_UNAVAILABLE if kind == "read" else TIMEOUT
            node.send(client, {"type": "error", "code": code,
                               "text": "lin-kv service did not answer",
                               "in_reply_to": client_msg_id})

        node.rpc(SERVICE, strip_ids(request), done, timeout=SERVICE_TIMEOUT,
                 on_timeout=timed_out)

    def serve_locally(msg):
        body = msg["body"]
        key = json.dumps(body.get("key"), sort_keys=True)
        kind = body["type"]
        if kind == "read":
            if key not in local:
                node.error(msg, KEY_DOES_NOT_EXIST, "key does not exist")
            else:
                node.reply(msg, {"type": "read_ok", "value": local[key]})
        elif kind == "write":
            local[key] = body["value"]
            node.reply(msg, {"type": "write_ok"})
        else:
            if key not in local:
                node.error(msg, KEY_DOES_NOT_EXIST, "key does not exist")
            elif local[key] != body["from"]:
                node.error(msg, PRECONDITION_FAILED, f"expected {body['from']}, had {local[key]}")
            else:
                local[key] = body["to"]
                node.reply(msg, {"type": "cas_ok"})

    if wrong:
        for kind in OPERATIONS:
            node.on(kind, serve_locally)
    else:
        node.serve_at_leader(OPERATIONS, serve)
    node.run()


if __name__ == "__main__":
    main(wrong="--wrong" in sys.argv[1:])
