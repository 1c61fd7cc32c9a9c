#!/usr/bin/env python3
"""A single-node key-value register speaking the node protocol (Maelstrom lin-kv bodies).

It shows that a node in any language runs under Faultline's node host: read JSON messages
from stdin, one per line; write replies to stdout, one per line; log to stderr.
State is in memory only; with one node every operation is trivially linearizable.
"""
import json
import sys

node_id = None
values = {}


def reply(request, body):
    body["in_reply_to"] = request["body"].get("msg_id")
    out = {"src": node_id, "dest": request["src"], "body": body}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


def error(request, code, text):
    reply(request, {"type": "error", "code": code, "text": text})


def handle(msg):
    global node_id
    body = msg["body"]
    kind = body["type"]
    if kind == "init":
        node_id = body["node_id"]
        print(f"python register node {node_id} started", file=sys.stderr, flush=True)
        reply(msg, {"type": "init_ok"})
    elif kind == "echo":
        reply(msg, {"type": "echo_ok", "echo": body.get("echo")})
    elif kind == "read":
        if body["key"] not in values:
            error(msg, 20, "key does not exist")
        else:
            reply(msg, {"type": "read_ok", "value": values[body["key"]]})
    elif kind == "write":
        values[body["key"]] = body["value"]
        reply(msg, {"type": "write_ok"})
    elif kind == "cas":
        key = body["key"]
        if key not in values:
            error(msg, 20, "key does not exist")
        elif values[key] != body["from"]:
            error(msg, 22, f"expected {body['from']}, had {values[key]}")
        else:
            values[key] = body["to"]
            reply(msg, {"type": "cas_ok"})
    elif "in_reply_to" not in body:
        error(msg, 10, f"unsupported request {kind}")


for line in sys.stdin:
    line = line.strip()
    if line:
        handle(json.loads(line))
