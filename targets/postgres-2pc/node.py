#!/usr/bin/env python3
"""postgres-2pc node: the first node (n1) runs the coordinator, every other node a participant
(a PostgreSQL server and a small program answering reads). Speaks the node protocol on
stdin/stdout; logs on stderr. See docs/atomic-commit.md, "postgres-2pc and the transfer
workload".

Usage: node.py [--variant commit-before-log] [--accounts 5] [--initial 100]
"""
import argparse
import json
import os
import sys
import threading

VARIANTS = ("commit-before-log",)


class Protocol:
    """Message plumbing: one writer lock for stdout, each request handled on its own thread."""

    def __init__(self):
        self.node_id = None
        self.node_ids = []
        self.out = threading.Lock()
        self.handlers = {}

    def log(self, text):
        print(text, file=sys.stderr, flush=True)

    def send(self, dest, body):
        line = json.dumps({"src": self.node_id, "dest": dest, "body": body})
        with self.out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def reply(self, msg, body):
        body["in_reply_to"] = msg["body"].get("msg_id")
        self.send(msg["src"], body)

    def error(self, msg, code, text):
        self.reply(msg, {"type": "error", "code": code, "text": text})

    def dispatch(self, msg):
        kind = msg["body"].get("type")
        handler = self.handlers.get(kind)
        if handler is None:
            if "in_reply_to" not in msg["body"]:
                self.error(msg, 10, f"{self.node_id} does not support {kind}")
            return

        def run():
            try:
                handler(msg)
            except Exception as e:  # a bug: say so, and leave the outcome unknown (crash)
                self.log(f"handler {kind} failed: {e!r}")
                self.error(msg, 13, f"{type(e).__name__}: {e}")

        threading.Thread(target=run, daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=VARIANTS)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--initial", type=int, default=100)
    args = parser.parse_args()
    data_dir = os.environ.get("FAULTLINE_DATA_DIR", "/var/lib/faultline/data")
    proto = Protocol()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        if msg["body"].get("type") == "init":
            proto.node_id = msg["body"]["node_id"]
            proto.node_ids = list(msg["body"]["node_ids"])
            if proto.node_id == proto.node_ids[0]:
                from coordinator import Coordinator

                Coordinator(proto, data_dir, args.variant).start()
            else:
                from participant import Participant

                # Starts PostgreSQL (initdb on first start) and creates the accounts before
                # answering init: until then the host tells clients the node is unavailable.
                Participant(proto, data_dir, args.accounts, args.initial).start()
            proto.reply(msg, {"type": "init_ok"})
            continue
        proto.dispatch(msg)


if __name__ == "__main__":
    main()
