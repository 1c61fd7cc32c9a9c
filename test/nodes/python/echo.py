#!/usr/bin/env python3
"""echo workload: answer {type: echo, echo} with {type: echo_ok, echo}.

--wrong (or echo_wrong.py): every third request is answered with the previous request's
value, as a node with a stale reply buffer would.
"""
import sys

from node_lib import Node


def main(wrong=False):
    node = Node("echo-wrong" if wrong else "echo")
    state = {"count": 0, "previous": None}

    def echo(msg):
        value = msg["body"].get("echo")
        state["count"] += 1
        answer = value
        if wrong and state["count"] % 3 == 0 and state["count"] > 1:
            answer = state["previous"]
        state["previous"] = value
        node.reply(msg, {"type": "echo_ok", "echo": answer})

    node.on("echo", echo)
    node.run()


if __name__ == "__main__":
    main(wrong="--wrong" in sys.argv[1:])
