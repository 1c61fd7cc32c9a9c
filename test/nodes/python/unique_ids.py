#!/usr/bin/env python3
"""unique-ids workload: {type: generate} -> {type: generate_ok, id}.

An id is "<node id>-<boot>-<counter>": the boot number is read from FAULTLINE_DATA_DIR,
incremented and fsync'd before init_ok, so ids stay unique across nodes and across kills
and restarts (no clock involved, so clock skew cannot repeat an id). Without a data
directory the boot number is a random 64-bit value instead.

--wrong (or unique_ids_wrong.py): a per-node counter without the node id, so every node
hands out 0, 1, 2, ... and ids repeat across nodes (and after a restart).
"""
import random
import sys

from node_lib import Node


def main(wrong=False):
    node = Node("unique-ids-wrong" if wrong else "unique-ids")
    state = {"boot": 0, "counter": 0}

    def init():
        if wrong:
            return
        if node.data_dir:
            state["boot"] = int(node.load("boot.json", 0)) + 1
            node.save("boot.json", state["boot"])
        else:
            state["boot"] = f"{random.SystemRandom().getrandbits(64):x}"

    def generate(msg):
        state["counter"] += 1
        if wrong:
            new_id = state["counter"]
        else:
            new_id = f"{node.node_id}-{state['boot']}-{state['counter']}"
        node.reply(msg, {"type": "generate_ok", "id": new_id})

    node.on_init(init)
    node.on("generate", generate)
    node.run()


if __name__ == "__main__":
    main(wrong="--wrong" in sys.argv[1:])
