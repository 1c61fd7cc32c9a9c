"""Plumbing shared by the coordinator and the participants of the two-phase-commit target.

One thread, one loop: read node-protocol messages (JSON, one a line) from stdin, run timers,
and write messages to stdout. Two rules hold for everything the roles do:

- Messages are not written when a role calls send(): they wait in an outbox until the end of
  the loop's turn. At the end of the turn the journal is written and fsync'd first, then the
  outbox goes out. So every record a role appended before sending a message is on disk
  before that message leaves the node (and one fsync covers every transaction handled in
  the turn, which keeps the coordinator fast under many concurrent transactions).
- The journal is append-only: one JSON record a line in FAULTLINE_DATA_DIR. A kill in the
  middle of a write leaves a torn last line, which replay() cuts off.

Python 3.11, standard library only.
"""
import heapq
import json
import os
import select
import sys
import time


def wall_ms():
    """The node's wall clock in ms: what transitions and `now` are stamped with."""
    return int(time.time() * 1000)


class Timer:
    __slots__ = ("due", "fn", "cancelled")

    def __init__(self, due, fn):
        self.due = due
        self.fn = fn
        self.cancelled = False

    def cancel(self):
        self.cancelled = True


class Journal:
    """An append-only log of JSON records in the node's data directory."""

    def __init__(self, data_dir, name):
        self.data_dir = data_dir
        self.path = os.path.join(data_dir, name) if data_dir else None
        self.pending = []
        self.file = None

    def replay(self):
        """Every complete record in the file, in order. A torn last line is cut off the file,
        so later appends start on a line of their own."""
        if self.path is None or not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            data = f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
        records = []
        for line in data[:end].split(b"\n"):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                pass  # cannot happen short of a damaged disk; skip rather than die
        return records

    def append(self, record):
        """Queue a record; it is on disk once the current turn of the loop ends."""
        self.pending.append(record)

    def sync(self):
        if not self.pending:
            return
        records, self.pending = self.pending, []
        if self.path is None:
            return  # no data directory: nothing survives a restart
        if self.file is None:
            os.makedirs(self.data_dir, exist_ok=True)
            created = not os.path.exists(self.path)
            self.file = open(self.path, "ab")
            if created:
                fd = os.open(self.data_dir, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
        self.file.write(data.encode("utf-8"))
        self.file.flush()
        os.fsync(self.file.fileno())


class Runtime:
    def __init__(self, journal_name):
        self.node_id = None
        self.node_ids = []
        self.journal = Journal(os.environ.get("FAULTLINE_DATA_DIR") or None, journal_name)
        self._timers = []
        self._seq = 0
        self._outbox = []
        self._buffer = b""

    # -- messages --------------------------------------------------------------------------
    def send(self, dest, body):
        self._outbox.append({"src": self.node_id, "dest": dest, "body": body})

    def reply(self, request, body):
        body["in_reply_to"] = request["body"].get("msg_id")
        self.send(request["src"], body)

    def error(self, request, code, text):
        self.reply(request, {"type": "error", "code": code, "text": text})

    def log(self, text):
        print(f"[2pc {self.node_id}] {text}", file=sys.stderr, flush=True)

    # -- timers ----------------------------------------------------------------------------
    def after(self, seconds, fn):
        timer = Timer(time.monotonic() + seconds, fn)
        self._seq += 1
        heapq.heappush(self._timers, (timer.due, self._seq, timer))
        return timer

    # -- the loop --------------------------------------------------------------------------
    def run(self, on_message):
        fd = sys.stdin.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], self._wait())
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    self._flush()
                    return  # stdin closed: the host is gone
                self._buffer += chunk
                *lines, self._buffer = self._buffer.split(b"\n")
                for line in lines:
                    if not line.strip():
                        continue
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        self.log(f"not JSON, ignored: {line[:200]!r}")
                        continue
                    self._guard(on_message, msg)
            self._run_due()
            self._flush()

    def _wait(self):
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        if not self._timers:
            return 1.0
        return max(0.0, self._timers[0][0] - time.monotonic())

    def _run_due(self):
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.cancelled = True
                self._guard(timer.fn)

    def _flush(self):
        # The order is the point: records first (fsync'd), then the messages that rely on them.
        self.journal.sync()
        if self._outbox:
            out, self._outbox = self._outbox, []
            try:
                sys.stdout.write("".join(json.dumps(m) + "\n" for m in out))
                sys.stdout.flush()
            except BrokenPipeError:
                sys.exit(0)

    def _guard(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # one bad message must not take the node down
            self.log(f"error: {type(e).__name__}: {e}")
