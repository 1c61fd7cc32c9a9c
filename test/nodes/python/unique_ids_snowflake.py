#!/usr/bin/env python3
"""unique-ids workload with 64-bit "snowflake" ids, as many real services make them:
milliseconds since 2020 << 22 | a sequence within the millisecond << 10 | node number
(the machine id in the low bits, as Sonyflake has it).

The ids are integers beyond 2^53 (about 2^60 today), which a JavaScript number cannot hold
exactly: Faultline must carry them from this program to the history as they are, or ids
of one millisecond would round to the same number. The node number is in the lowest bits, so
a test can see from an id alone that they survived.
"""
import time

from node_lib import Node

EPOCH_MS = 1577836800000  # 2020-01-01


def main():
    node = Node("unique-ids-snowflake")
    state = {"ms": 0, "seq": 0}

    def generate(msg):
        ms = int(time.time() * 1000) - EPOCH_MS
        if ms <= state["ms"]:
            ms = state["ms"]
            state["seq"] += 1
            if state["seq"] >= 4096:  # the millisecond is used up: borrow the next one
                ms, state["seq"] = ms + 1, 0
        else:
            state["seq"] = 0
        state["ms"] = ms
        number = int(node.node_id.lstrip("n"))
        node.reply(msg, {"type": "generate_ok", "id": (ms << 22) | (state["seq"] << 10) | number})

    node.on("generate", generate)
    node.run()


if __name__ == "__main__":
    main()
