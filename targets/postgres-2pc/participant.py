"""A participant node: runs a PostgreSQL server (Debian's postgresql package) with its data
directory on the node's persistent disk, holding this node's accounts, and answers `balances`
reads. The coordinator (n1) talks SQL to the server directly (BEGIN; UPDATE; PREPARE
TRANSACTION; COMMIT/ROLLBACK PREPARED); this program takes no part in the commit protocol.

After a kill the server restarts from the same data directory: crash recovery replays the WAL
and keeps every PREPAREd transaction in doubt, with its row locks, until the coordinator
resolves it.
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import threading
import time

import psycopg2

import pg

PG_LOG = "/var/log/faultline/postgres.log"
START_TIMEOUT_S = 90


def pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name}: PostgreSQL is not installed in the node image")
    return found[-1]


class Participant:
    def __init__(self, proto, data_dir, accounts, initial):
        self.proto = proto
        self.accounts = accounts
        self.initial = initial
        self.pgdata = os.path.join(data_dir, "pg")
        self.socket_dir = os.path.join(data_dir, "pg-socket")
        self.server = None
        self.idle = []  # idle local connections for reads
        self.idle_lock = threading.Lock()
        proto.handlers["balances"] = self.balances

    def start(self):
        user = pwd.getpwnam("postgres")
        data_dir = os.path.dirname(self.pgdata)
        os.makedirs(self.socket_dir, exist_ok=True)
        os.chown(self.socket_dir, user.pw_uid, user.pw_gid)
        if not os.path.exists(os.path.join(self.pgdata, "PG_VERSION")):
            self.initdb(user, data_dir)
        # Our own container, nothing else runs a server on this data directory: a pid file
        # left by a kill may name a pid that another process of the new container now holds.
        pid_file = os.path.join(self.pgdata, "postmaster.pid")
        if os.path.exists(pid_file):
            os.remove(pid_file)
        ip = pg.node_addresses()[self.proto.node_id]
        os.makedirs(os.path.dirname(PG_LOG), exist_ok=True)
        log = open(PG_LOG, "ab")
        settings = {
            "listen_addresses": f"{ip},127.0.0.1",
            "port": str(pg.PORT),
            "unix_socket_directories": self.socket_dir,
            # Two-phase commit: PREPARE TRANSACTION needs slots (0 disables it).
            "max_prepared_transactions": "100",
            "max_connections": "200",
            "shared_buffers": "16MB",
            "fsync": "on",
            "synchronous_commit": "on",
            # Group commit, as a busy server is tuned: a WAL flush (COMMIT, PREPARE
            # TRANSACTION, COMMIT PREPARED) waits this long (us) for others to share it.
            "commit_delay": "5000",
            "commit_siblings": "0",
            # A coordinator cut off mid-transaction leaves a backend holding row locks.
            "idle_in_transaction_session_timeout": "3s",
            "tcp_keepalives_idle": "5",
            "tcp_keepalives_interval": "2",
            "tcp_keepalives_count": "3",
            "log_min_messages": "warning",
        }
        cmd = [pg_bin("postgres"), "-D", self.pgdata]
        for k, v in settings.items():
            cmd += ["-c", f"{k}={v}"]
        self.server = subprocess.Popen(cmd, user="postgres", stdout=log, stderr=log)
        threading.Thread(target=self.watch_server, daemon=True).start()
        self.await_server()
        self.create_accounts()
        self.proto.log(f"participant {self.proto.node_id}: PostgreSQL up on {ip}:{pg.PORT}")

    def initdb(self, user, data_dir):
        """Initialize into a scratch folder and rename it: a kill during initdb leaves no
        half-made data directory behind."""
        scratch = self.pgdata + ".init"
        shutil.rmtree(scratch, ignore_errors=True)
        os.makedirs(scratch)
        os.chown(scratch, user.pw_uid, user.pw_gid)
        os.chmod(scratch, 0o700)
        os.chmod(data_dir, 0o755)
        out = subprocess.run(
            # --no-sync: skip initdb's fsync of every file it wrote (a first start took 8-27 s
            # on a busy machine). The faults kill processes and containers, never the kernel, so
            # the page cache, and with it the unsynced files, survives them; the server fsyncs
            # its own writes from then on.
            [pg_bin("initdb"), "-D", scratch, "-U", "postgres", "-A", "trust", "--locale=C", "-E", "UTF8", "--no-sync"],
            user="postgres",
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed: {out.stderr.strip()[-500:]}")
        # The coordinator connects from n1's address; the cluster network is ours alone.
        with open(os.path.join(scratch, "pg_hba.conf"), "a") as f:
            f.write("host all all 0.0.0.0/0 trust\n")
        os.rename(scratch, self.pgdata)

    def watch_server(self):
        code = self.server.wait()
        # Without its server this node is nothing: end, so the host (and container) stop.
        self.proto.log(f"participant {self.proto.node_id}: PostgreSQL exited with {code}; exiting")
        sys.stderr.flush()
        os._exit(1)

    def connect(self):
        return psycopg2.connect(
            host=self.socket_dir,
            port=pg.PORT,
            user="postgres",
            dbname="postgres",
            options="-c statement_timeout=2000",
        )

    def await_server(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.connect().close()
                return
            except psycopg2.OperationalError as e:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not accept connections: {e}")
                pg.sleep(0.1)

    def create_accounts(self):
        """On the first start, the table and every account in one transaction. After a
        restart they exist, and an in-doubt transaction may hold their row locks: look, do
        not write."""
        conn = self.connect()
        try:
            with conn:
                cur = conn.cursor()
                cur.execute("SELECT to_regclass('accounts') IS NOT NULL")
                if cur.fetchone()[0]:
                    return
                cur.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)")
                for account in range(self.accounts):
                    cur.execute("INSERT INTO accounts VALUES (%s, %s)", (account, self.initial))
        finally:
            conn.close()

    def balances(self, msg):
        """Every account's balance, from one snapshot, and the transactions in doubt here."""
        with self.idle_lock:
            conn = self.idle.pop() if self.idle else None
        try:
            if conn is None:
                conn = self.connect()
            with conn:
                cur = conn.cursor()
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("SELECT id, balance FROM accounts ORDER BY id")
                rows = cur.fetchall()
                cur.execute("SELECT gid FROM pg_prepared_xacts ORDER BY gid")
                in_doubt = [r[0] for r in cur.fetchall()]
        except psycopg2.Error as e:
            if conn is not None:
                conn.close()
            # A read changes nothing: a failed one certainly did not happen.
            self.proto.error(msg, 11, f"read failed: {str(e).strip()}")
            return
        with self.idle_lock:
            self.idle.append(conn)
        self.proto.reply(
            msg,
            {"type": "balances_ok", "balances": {str(a): b for a, b in rows}, "in_doubt": in_doubt},
        )
