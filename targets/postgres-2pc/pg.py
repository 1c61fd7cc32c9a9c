"""PostgreSQL connections with a deadline on every call.

libpq blocks without limit on a partitioned or frozen server (a dropped reply, a paused
container whose kernel still acknowledges TCP), so every statement runs on an asynchronous
psycopg2 connection polled with select(): past its deadline the connection is closed and the
call raises Timeout. The server rolls back an open transaction of a connection it loses (at
once if it sees the close, else after idle_in_transaction_session_timeout or its TCP
keepalives); a PREPAREd transaction outlives its connection, as two-phase commit needs.
"""
import select
import time

import psycopg2
import psycopg2.extensions as ext

PORT = 5432


class Timeout(Exception):
    pass


def _wait(conn, deadline):
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("no answer in time")
        fd = conn.fileno()
        if state == ext.POLL_READ:
            select.select([fd], [], [], left)
        elif state == ext.POLL_WRITE:
            select.select([], [fd], [], left)
        else:
            raise psycopg2.OperationalError(f"unexpected poll state {state}")


class Conn:
    """One asynchronous connection (always autocommit: transactions are explicit SQL)."""

    def __init__(self, host, timeout, pool=None):
        self.host = host
        self.pool = pool
        self.conn = psycopg2.connect(
            host=host,
            port=PORT,
            user="postgres",
            dbname="postgres",
            # Locks held by an in-doubt (prepared) transaction must not hang new ones.
            options="-c lock_timeout=800 -c statement_timeout=2000",
            async_=1,
        )
        try:
            _wait(self.conn, time.monotonic() + timeout)
        except BaseException:
            self.close()
            raise

    def run(self, sql, args=None, timeout=1.5):
        """Execute one statement; returns (rowcount, rows or None). Closes the connection and
        raises on a timeout or any error (the caller never reuses a failed connection)."""
        try:
            cur = self.conn.cursor()
            cur.execute(sql, args)
            _wait(self.conn, time.monotonic() + timeout)
            rows = cur.fetchall() if cur.description is not None else None
            return cur.rowcount, rows
        except BaseException as e:
            self.close()
            # The link itself failed (no SQLSTATE: server gone, restarted, cut off): the
            # other idle connections to it are most likely dead too.
            if self.pool is not None and (isinstance(e, Timeout) or getattr(e, "pgcode", 0) is None):
                self.pool.drop(self.host)
            raise

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass


class Pool:
    """Idle connections per host. A connection that failed is never returned."""

    def __init__(self, connect_timeout=1.0):
        import threading

        self.lock = threading.Lock()
        self.idle = {}
        self.connect_timeout = connect_timeout

    def get(self, host, timeout=None):
        """An idle connection, else a new one within `timeout` (at most connect_timeout)."""
        with self.lock:
            free = self.idle.setdefault(host, [])
            if free:
                return free.pop()
        limit = self.connect_timeout if timeout is None else min(timeout, self.connect_timeout)
        if limit <= 0:
            raise Timeout("no time left to connect")
        return Conn(host, limit, self)

    def drop(self, host):
        with self.lock:
            free = self.idle.pop(host, [])
        for conn in free:
            conn.close()

    def put(self, conn):
        if conn.conn.closed:
            return
        with self.lock:
            free = self.idle.setdefault(conn.host, [])
            if len(free) < 16:
                free.append(conn)
                return
        conn.close()


TOPOLOGY = "/var/lib/faultline/host/topology.json"


def node_addresses():
    """Node id -> IP address, from the topology the node host keeps on disk."""
    import json

    with open(TOPOLOGY) as f:
        nodes = json.load(f)["nodes"]
    return {name: address.rsplit(":", 1)[0] if address.count(":") == 1 else address for name, address in nodes.items()}


def sleep(seconds):
    """time.sleep fails with EINVAL under the node image's libfaketime (it mangles Python's
    absolute monotonic clock_nanosleep); select() waits the same without it."""
    select.select([], [], [], seconds)
