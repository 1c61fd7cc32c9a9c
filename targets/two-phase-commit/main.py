#!/usr/bin/env python3
"""Two-phase commit with cooperative termination, as a node-protocol program.

The first node of the init message's node_ids (n1) is the coordinator (coordinator.py), every
other node a participant (participant.py). Every node answers txn_states with the transitions
of every transaction it knows (docs/atomic-commit.md). State that messages depend on is
journaled and fsync'd in FAULTLINE_DATA_DIR before those messages leave (runtime.py).

Usage: main.py [--variant abort-on-timeout|no-decision-log|vote-not-logged]
"""
import sys

from coordinator import Coordinator
from participant import Participant
from runtime import Runtime

VARIANTS = ("abort-on-timeout", "no-decision-log", "vote-not-logged")
NOT_SUPPORTED = 10
TEMPORARILY_UNAVAILABLE = 11


def parse_variant(argv):
    variant = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--variant" and args:
            variant = args.pop(0)
        elif arg.startswith("--variant="):
            variant = arg.split("=", 1)[1]
        else:
            sys.exit(f"two-phase-commit: unknown argument {arg!r}")
    if variant in (None, "", "correct"):
        return None
    if variant not in VARIANTS:
        sys.exit(f"two-phase-commit: unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    return variant


def main():
    variant = parse_variant(sys.argv[1:])
    rt = Runtime("two-phase-commit.log")
    role = None

    def on_message(msg):
        nonlocal role
        body = msg.get("body") or {}
        kind = body.get("type")
        if kind == "init":
            if role is None:
                rt.node_id = body["node_id"]
                rt.node_ids = list(body["node_ids"])
                is_coordinator = rt.node_id == rt.node_ids[0]
                role = (Coordinator if is_coordinator else Participant)(rt, variant)
                records = rt.journal.replay()
                role.replay(records)
                role.recover()
                rt.log(
                    f"{role.name} of {rt.node_ids}, variant {variant or 'correct'}; "
                    f"{len(role.txns)} transactions recovered from {len(records)} records"
                )
            rt.reply(msg, {"type": "init_ok"})
        elif role is None:
            return  # nothing is handled before init
        elif kind == "txn_states":
            rt.reply(msg, role.states())
        elif kind == "txn" and role.name != "coordinator":
            rt.error(msg, TEMPORARILY_UNAVAILABLE, f"{rt.node_ids[0]} coordinates transactions")
        elif not role.handle(msg) and "in_reply_to" not in body:
            rt.error(msg, NOT_SUPPORTED, f"unsupported request {kind}")

    rt.run(on_message)


if __name__ == "__main__":
    main()
