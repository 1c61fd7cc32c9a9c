"""The coordinator (n1): runs each transfer as a two-phase commit across the PostgreSQL servers
of the participants it touches, and resolves the transactions left in doubt.

Phase 1 (votes): each participant in turn, the debit's first (the leg that can fail), then
the credit's: BEGIN, UPDATE its account (a debit that would leave a negative balance updates
no row: that participant votes abort), then PREPARE TRANSACTION 'fl_<id>': the server makes
the transaction durable, keeps its row locks, and can no longer abort it by itself (READY).
Transfers visit their accounts in different orders, so two of them can wait for each other
across servers, where no deadlock detector sees it: lock_timeout (pg.py) ends the wait and
the transfer aborts.

Decision: commit only if every participant prepared. The decision is appended to the
decision log on n1's disk and fsync'd BEFORE any COMMIT PREPARED is sent (group commit: the
log writer gathers the decisions of LOG_BATCH_S and forces them with one fsync). Abort is
never logged: presumed abort (a prepared transaction without a logged commit is rolled back).

Phase 2: COMMIT PREPARED (or ROLLBACK PREPARED) on each participant, in the order they voted.
One that cannot be reached is left to the resolver.

Resolver (recovery): at start and every RESOLVE_INTERVAL_S after, list pg_prepared_xacts on
each participant and, for every transaction of ours that no live transfer is working on,
COMMIT PREPARED if the decision log holds its commit, else ROLLBACK PREPARED. The first pass
over each participant after a start is that start's recovery; what it found and resolved is
appended to recoveries.jsonl and answered to `recovery_stats`.

Variant commit-before-log: sends COMMIT PREPARED to the participants first and logs the
decision only once they all answered. Killed in between (a participant frozen or slow to
answer keeps it in between), the restarted coordinator finds no decision, presumes abort and
rolls back the participants that had not committed: a transfer applied on one side only.
"""
import json
import os
import re
import threading
import time

import psycopg2

import pg

RESOLVE_INTERVAL_S = 0.5
PREPARE_PHASE_S = 2.0
# The decision log's group commit: a decision waits this long for others to share its fsync.
LOG_BATCH_S = 0.01
GID_PREFIX = "fl_"
UNDEFINED_OBJECT = "42704"  # no prepared transaction with that gid (already resolved)


class Abort(Exception):
    pass


def now_ms():
    return int(time.time() * 1000)


class Coordinator:
    def __init__(self, proto, data_dir, variant):
        self.proto = proto
        self.variant = variant
        self.participants = proto.node_ids[1:]
        self.addresses = pg.node_addresses()
        self.decisions_path = os.path.join(data_dir, "decisions.log")
        self.recoveries_path = os.path.join(data_dir, "recoveries.jsonl")
        self.lock = threading.Lock()
        self.log_cond = threading.Condition(self.lock)
        self.log_pending = []  # decision lines not yet written
        self.log_seq = 0  # decisions appended
        self.log_durable = 0  # decisions fsync'd
        self.committed = set()  # gids whose commit decision is durable
        self.active = set()  # gids a transfer thread of this process is working on
        self.recovered = set()  # participants scanned since this start
        self.pool = pg.Pool()
        self.log_file = None
        self.history = []  # recovery records of every start
        self.starts = 0
        self.later = {"committed": 0, "rolled_back": 0}
        self.timings = {}
        proto.handlers["transfer"] = self.transfer
        proto.handlers["recovery_stats"] = self.recovery_stats

    # ---- durable state ------------------------------------------------------------------

    def start(self):
        os.makedirs(os.path.dirname(self.decisions_path), exist_ok=True)
        if os.path.exists(self.decisions_path):
            with open(self.decisions_path) as f:
                text = f.read()
            # A line cut short by a kill was never fsync'd whole: no decision. Cut it off, so
            # that the next line appended does not run into it.
            for line in text.split("\n")[:-1]:
                kind, _, gid = line.partition(" ")
                if kind == "commit":
                    self.committed.add(gid)
            if not text.endswith("\n"):
                with open(self.decisions_path, "r+") as f:
                    f.truncate(len(text.encode()) - len(text.split("\n")[-1].encode()))
        self.log_file = open(self.decisions_path, "a")
        if os.path.exists(self.recoveries_path):
            with open(self.recoveries_path) as f:
                for line in f:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if record.get("event") == "start":
                        self.starts += 1
                    elif record.get("event") == "recovery":
                        self.history.append(record)
        self.starts += 1
        self.append_record({"event": "start", "at": now_ms(), "decisions": len(self.committed)})
        self.proto.log(
            f"coordinator: start {self.starts}, {len(self.committed)} commit decisions in the log"
            + (f", variant {self.variant}" if self.variant else "")
        )
        threading.Thread(target=self.log_writer, daemon=True).start()
        threading.Thread(target=self.resolver, daemon=True).start()

    def log_commit(self, gid):
        """Append the commit decision and return once it is on disk (fsync'd)."""
        with self.log_cond:
            self.log_seq += 1
            mine = self.log_seq
            self.log_pending.append(f"commit {gid}\n")
            self.log_cond.notify_all()
            while self.log_durable < mine:
                self.log_cond.wait()
            self.committed.add(gid)

    def log_writer(self):
        """Group commit: the first pending decision waits LOG_BATCH_S for others to join it,
        then all are written and forced with one fsync."""
        while True:
            with self.log_cond:
                while not self.log_pending:
                    self.log_cond.wait()
            pg.sleep(LOG_BATCH_S)
            with self.log_cond:
                batch, self.log_pending = self.log_pending, []
                upto = self.log_seq
            self.log_file.write("".join(batch))
            self.log_file.flush()
            os.fsync(self.log_file.fileno())
            with self.log_cond:
                self.log_durable = upto
                self.log_cond.notify_all()

    def append_record(self, record):
        with open(self.recoveries_path, "a") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())

    # ---- one transfer -------------------------------------------------------------------

    def transfer(self, msg):
        body = msg["body"]
        try:
            tid = str(body["id"])
            src, dst, amount = body["from"], body["to"], int(body["amount"])
            legs = [(src["node"], int(src["account"]), -amount), (dst["node"], int(dst["account"]), amount)]
        except (KeyError, TypeError, ValueError) as e:
            return self.proto.error(msg, 12, f"transfer needs id, from, to, amount: {e!r}")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", tid) or amount <= 0:
            return self.proto.error(msg, 12, "transfer id must be [A-Za-z0-9_.-]+ and amount > 0")
        if legs[0][:2] == legs[1][:2]:
            return self.proto.error(msg, 12, "a transfer needs two different accounts")
        for node, _, _ in legs:
            if node not in self.participants:
                return self.proto.error(msg, 12, f"{node} is not a participant")
        gid = GID_PREFIX + tid
        with self.lock:
            if gid in self.active or gid in self.committed:
                return self.proto.error(msg, 12, f"transfer {tid} was already sent")
            self.active.add(gid)
        try:
            decision = self.two_phase(gid, legs)
        finally:
            with self.lock:
                self.active.discard(gid)
        if decision is True:
            self.proto.reply(msg, {"type": "transfer_ok", "id": tid})
        else:
            self.proto.error(msg, 14, f"aborted: {decision}")

    def two_phase(self, gid, legs):
        """True if committed, else the reason it aborted."""
        # The debit first (the leg that can vote abort), then the credit; commit in that order.
        nodes = list(dict.fromkeys(node for node, _, _ in legs))
        open_conns = {}  # node -> connection inside the transaction, before PREPARE
        sent_prepare = []  # nodes PREPARE was sent to (its outcome may be unknown)
        started = time.monotonic()
        deadline = started + PREPARE_PHASE_S
        first_ready = None
        try:
            # Each participant in turn: its work, then its vote (PREPARE), then the next one.
            for node in nodes:
                # Connecting counts against the vote phase: the client's timeout
                # (postgres2pc.defaultTimeoutMs) must cover the whole transfer.
                conn = self.pool.get(self.addresses[node], self.left(deadline))
                open_conns[node] = conn
                conn.run("BEGIN", timeout=self.left(deadline))
                for _, account, delta in (leg for leg in legs if leg[0] == node):
                    if delta < 0:
                        n, _ = conn.run(
                            "UPDATE accounts SET balance = balance - %s WHERE id = %s AND balance >= %s",
                            (-delta, account, -delta),
                            timeout=self.left(deadline),
                        )
                        if n != 1:
                            raise Abort(f"{node} votes abort: account {account} lacks {-delta}")
                    else:
                        n, _ = conn.run(
                            "UPDATE accounts SET balance = balance + %s WHERE id = %s",
                            (delta, account),
                            timeout=self.left(deadline),
                        )
                        if n != 1:
                            raise Abort(f"{node} votes abort: no account {account}")
                del open_conns[node]
                sent_prepare.append(node)
                conn.run("PREPARE TRANSACTION %s", (gid,), timeout=self.left(deadline))
                self.pool.put(conn)
                first_ready = first_ready or time.monotonic()
        except (Abort, pg.Timeout, psycopg2.Error, OSError) as e:
            for conn in open_conns.values():
                try:
                    conn.run("ROLLBACK", timeout=0.5)
                    self.pool.put(conn)
                except Exception:
                    pass  # closed: the server rolls it back
            for node in sent_prepare:
                self.finish(node, gid, commit=False)  # failures: the resolver retries
            return str(e).strip().split("\n")[0] or type(e).__name__
        # Every participant is READY: commit, in the order they voted.
        decided = time.monotonic()
        if self.variant == "commit-before-log":
            # The mistake: COMMIT PREPARED goes out before the decision is durable; the
            # decision is logged once every participant has committed.
            for node in nodes:
                self.finish(node, gid, commit=True)
            self.log_commit(gid)
        else:
            self.log_commit(gid)  # durable before any participant hears COMMIT
            for node in nodes:
                self.finish(node, gid, commit=True)  # failures: the resolver retries
        self.timing("votes_ms", decided - started)
        self.timing("first_ready_to_commit_ms", time.monotonic() - first_ready)
        return True

    def timing(self, name, seconds):
        """Recent phase durations, for recovery_stats (how long the in-doubt window is)."""
        with self.lock:
            recent = self.timings.setdefault(name, [])
            recent.append(seconds * 1000)
            if len(recent) > 1000:
                del recent[:500]

    @staticmethod
    def left(deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise pg.Timeout("prepare phase took too long")
        return left

    def finish(self, node, gid, commit, timeout=1.0):
        """COMMIT PREPARED or ROLLBACK PREPARED; True when done (or already done)."""
        sql = "COMMIT PREPARED %s" if commit else "ROLLBACK PREPARED %s"
        try:
            conn = self.pool.get(self.addresses[node])
        except Exception:
            return False
        try:
            conn.run(sql, (gid,), timeout=timeout)
        except psycopg2.Error as e:
            if e.pgcode == UNDEFINED_OBJECT:
                return True
            self.proto.log(f"coordinator: {sql % gid} on {node} failed: {str(e).strip()}")
            return False
        except Exception as e:
            self.proto.log(f"coordinator: {sql % gid} on {node} failed: {e!r}")
            return False
        self.pool.put(conn)
        return True

    # ---- recovery -----------------------------------------------------------------------

    def resolver(self):
        while True:
            for node in self.participants:
                try:
                    self.resolve(node)
                except Exception:
                    pass  # unreachable now: next pass
            pg.sleep(RESOLVE_INTERVAL_S)

    def resolve(self, node):
        conn = self.pool.get(self.addresses[node])
        _, rows = conn.run(
            "SELECT gid, EXTRACT(EPOCH FROM now() - prepared)::float8 FROM pg_prepared_xacts"
            " WHERE starts_with(gid, %s)",
            (GID_PREFIX,),
            timeout=1.0,
        )
        self.pool.put(conn)
        first = node not in self.recovered
        record = {"event": "recovery", "start": self.starts, "node": node, "at": now_ms()}
        record.update(found=0, committed=0, rolled_back=0, unresolved=0, oldest_in_doubt_s=0.0)
        for gid, age in rows:
            with self.lock:
                if gid in self.active:
                    continue  # a live transfer is still deciding it
                commit = gid in self.committed
            record["found"] += 1
            record["oldest_in_doubt_s"] = max(record["oldest_in_doubt_s"], round(float(age or 0), 3))
            if self.finish(node, gid, commit):
                key = "committed" if commit else "rolled_back"
                record[key] += 1
                if not first:
                    with self.lock:
                        self.later[key] += 1
            else:
                record["unresolved"] += 1
        if first:
            self.recovered.add(node)
            self.append_record(record)
            with self.lock:
                self.history.append(record)
            if record["found"] > 0:
                self.proto.log(
                    f"coordinator recovery on {node}: {record['found']} in doubt, "
                    f"{record['committed']} committed, {record['rolled_back']} rolled back"
                )

    def recovery_stats(self, msg):
        with self.lock:
            history = list(self.history)
            later = dict(self.later)
            medians = {k: round(sorted(v)[len(v) // 2], 1) for k, v in self.timings.items() if v}
        totals = {"found": 0, "committed": 0, "rolled_back": 0, "unresolved": 0}
        for r in history:
            for k in totals:
                totals[k] += r.get(k, 0)
        self.proto.reply(
            msg,
            {
                "type": "recovery_stats_ok",
                "starts": self.starts,
                "recovery": totals,
                "max_in_doubt_s": max([r.get("oldest_in_doubt_s", 0) for r in history] or [0]),
                "resolved_later": later,
                "recoveries": [r for r in history if r.get("found", 0) > 0][-50:],
                "commit_decisions": len(self.committed),
                "median_phase_ms": medians,
            },
        )
