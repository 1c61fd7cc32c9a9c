"""A small helper for node programs speaking the Faultline / Maelstrom node protocol.

Scripts beside this file import it (`from node_lib import Node`). It gives a single-threaded
message loop over stdin with timers, replies and errors, RPCs with timeouts, requests served
at a leader that the other nodes forward them to, and durable files in FAULTLINE_DATA_DIR
(each write fsync'd before it returns). Python 3.11, stdlib only.
"""
import json
import os
import random
import select
import sys
import time

# Maelstrom error codes used by the programs here.
TIMEOUT = 0
NOT_SUPPORTED = 10
TEMPORARILY_UNAVAILABLE = 11
KEY_DOES_NOT_EXIST = 20
PRECONDITION_FAILED = 22


class Node:
    def __init__(self, name="node"):
        self.name = name
        self.node_id = None
        self.node_ids = []
        self.handlers = {}
        self.init_hooks = []
        # msg_id -> [callback, deadline, on_timeout]
        self.pending = {}
        # [due, interval or None, fn]
        self.timers = []
        # Start message ids at a random point so a restarted node does not take late replies
        # meant for its previous incarnation as replies to its new requests.
        self.next_msg_id = random.SystemRandom().randrange(1, 2**40)
        self.data_dir = os.environ.get("FAULTLINE_DATA_DIR") or None
        self._buffer = b""

    # -- wiring ---------------------------------------------------------------------------
    def on(self, kind, handler):
        self.handlers[kind] = handler

    def on_init(self, hook):
        self.init_hooks.append(hook)

    def peers(self):
        return [n for n in self.node_ids if n != self.node_id]

    def log(self, *parts):
        print(f"[{self.name} {self.node_id}]", *parts, file=sys.stderr, flush=True)

    # -- sending ----------------------------------------------------------------------------
    def send(self, dest, body):
        line = json.dumps({"src": self.node_id, "dest": dest, "body": body})
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            sys.exit(0)

    def reply(self, request, body):
        body = dict(body)
        body["in_reply_to"] = request["body"].get("msg_id")
        self.send(request["src"], body)

    def error(self, request, code, text):
        self.reply(request, {"type": "error", "code": code, "text": text})

    def serve_at_leader(self, kinds, serve):
        """Requests of these kinds are served at the leader, the first node id (sorted). Another
        node forwards each in a `forward` message, and the leader answers the client directly
        (dest = the client, in_reply_to = the client's msg_id). serve(client, client_msg_id,
        body) runs at the leader. A forward is never retried: a lost one leaves the client
        to time out."""

        def leader():
            return sorted(self.node_ids)[0]

        def client_request(msg):
            body = msg["body"]
            if self.node_id == leader():
                serve(msg["src"], body.get("msg_id"), body)
                return
            request = {k: v for k, v in body.items() if k not in ("msg_id", "in_reply_to")}
            self.send(leader(), {"type": "forward", "client": msg["src"],
                                 "client_msg_id": body.get("msg_id"), "request": request})

        def forward(msg):
            body = msg["body"]
            if self.node_id != leader():
                self.log(f"forward from {msg['src']} but the leader is {leader()}; dropped")
                return
            serve(body["client"], body["client_msg_id"], body["request"])

        for kind in kinds:
            self.on(kind, client_request)
        self.on("forward", forward)

    def new_msg_id(self):
        self.next_msg_id += 1
        return self.next_msg_id

    def rpc(self, dest, body, callback, timeout=None, on_timeout=None):
        """Send a request; call callback(reply) once, or on_timeout() after `timeout` seconds."""
        msg_id = self.new_msg_id()
        body = dict(body)
        body["msg_id"] = msg_id
        deadline = time.monotonic() + timeout if timeout is not None else None
        self.pending[msg_id] = [callback, deadline, on_timeout]
        self.send(dest, body)
        return msg_id

    # -- timers -----------------------------------------------------------------------------
    def every(self, interval, fn):
        self.timers.append([time.monotonic() + interval, interval, fn])

    def after(self, delay, fn):
        self.timers.append([time.monotonic() + delay, None, fn])

    # -- durable state (fsync'd before returning) ---------------------------------------------
    def _path(self, name):
        return os.path.join(self.data_dir, name) if self.data_dir else None

    def load(self, name, default):
        path = self._path(name)
        if path is None or not os.path.exists(path):
            return default
        try:
            with open(path, "r", encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            self.log(f"cannot read {path}: {e}; starting from the default")
            return default

    def save(self, name, value):
        path = self._path(name)
        if path is None:
            return
        os.makedirs(self.data_dir, exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(value, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        self._fsync_dir()

    def append_lines(self, name, values):
        """Append one JSON value per line, then fsync."""
        path = self._path(name)
        if path is None or not values:
            return
        os.makedirs(self.data_dir, exist_ok=True)
        created = not os.path.exists(path)
        with open(path, "a", encoding="utf-8") as f:
            f.write("".join(json.dumps(v) + "\n" for v in values))
            f.flush()
            os.fsync(f.fileno())
        if created:
            self._fsync_dir()

    def read_lines(self, name):
        """The values appended to `name`; a torn last line (a kill mid-write) is skipped."""
        path = self._path(name)
        if path is None or not os.path.exists(path):
            return []
        out = []
        with open(path, "r", encoding="utf-8") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def _fsync_dir(self):
        fd = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- the loop -------------------------------------------------------------------------------
    def _handle(self, msg):
        body = msg.get("body") or {}
        kind = body.get("type")
        if kind == "init":
            self.node_id = body["node_id"]
            self.node_ids = list(body["node_ids"])
            for hook in self.init_hooks:
                hook()
            self.log("started; nodes", self.node_ids)
            self.reply(msg, {"type": "init_ok"})
            return
        reply_to = body.get("in_reply_to")
        if reply_to is not None:
            entry = self.pending.pop(reply_to, None)
            if entry is not None:
                entry[0](msg)
                return
            if kind not in self.handlers:
                return  # a late reply to a request we gave up on
        handler = self.handlers.get(kind)
        if handler is None:
            if reply_to is None:
                self.error(msg, NOT_SUPPORTED, f"unsupported request {kind}")
            return
        handler(msg)

    def _run_due(self):
        now = time.monotonic()
        for msg_id, entry in list(self.pending.items()):
            if entry[1] is not None and entry[1] <= now:
                del self.pending[msg_id]
                if entry[2] is not None:
                    self._guard(entry[2])
        for timer in list(self.timers):
            if timer[0] <= now:
                if timer[1] is None:
                    self.timers.remove(timer)
                else:
                    timer[0] = now + timer[1]
                self._guard(timer[2])

    def _next_wait(self):
        dues = [t[0] for t in self.timers]
        dues += [e[1] for e in self.pending.values() if e[1] is not None]
        if not dues:
            return 1.0
        return max(0.0, min(dues) - time.monotonic())

    def _guard(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # one bad message must not kill the node
            self.log(f"error: {type(e).__name__}: {e}")

    def run(self):
        fd = sys.stdin.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], self._next_wait())
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return  # stdin closed: the host is gone
                self._buffer += chunk
                *lines, self._buffer = self._buffer.split(b"\n")
                for line in lines:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        self.log(f"not JSON, ignored: {line[:200]!r}")
                        continue
                    self._guard(self._handle, msg)
            self._run_due()
