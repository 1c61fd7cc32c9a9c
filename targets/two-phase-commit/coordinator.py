"""The coordinator (node n1): one state machine per transaction, WAIT -> COMMIT or ABORT.

A client's `txn` request names the participants and, per participant, whether it will be
able to commit. The coordinator journals WAIT (with the participants) and sends each one a
vote_request. It commits if every participant answers vote_commit before the vote timeout,
and aborts on the first vote_abort or at the timeout. It journals the decision, sends it
(global_commit / global_abort) to every participant, and answers the client. Participants
acknowledge the decision (decision_ack); it is sent again, with backoff, to those that have
not, until all have (then a `done` record spares the re-sending after a restart).

Recovery (at start, from the journal): a transaction still in WAIT was never decided, so it is
aborted now and the abort sent; a decided one not yet acknowledged by everyone has its
decision sent again until it is.

Why it aborted: its states reply carries, beside the transitions, `aborts`: per aborted
transaction the cause ({"cause": "timeout", "missing": [...], "timeoutMs": 500} at the vote
timeout, {"cause": "vote-abort", "from": "n3"} on a participant's vote_abort, {"cause":
"recovered"} when a restart found it in WAIT). The checker excuses a timeout abort of an
all-commit transaction as a timing failure (a vote that arrived after the timeout), so the
cause is journaled with the decision and survives a restart.

Variant no-decision-log: the decision is sent without being journaled, so after a restart
the coordinator finds WAIT and aborts a transaction it may already have committed.
"""
import time

from role import ABORT, COMMIT, DECIDED, Role, Txn

# Seconds. Clients give up after 1 s: the vote timeout leaves room to answer them.
VOTE_TIMEOUT = 0.5
VOTE_RESEND = 0.2
DECISION_RESEND_FIRST = 0.25
DECISION_RESEND_MAX = 2.0

MALFORMED = 12


class CoordinatorTxn(Txn):
    def __init__(self, txn_id):
        super().__init__(txn_id)
        self.can_commit = {}
        self.voted_commit = set()
        self.clients = []
        self.deadline = None
        self.unacked = set()
        self.resend_delay = DECISION_RESEND_FIRST
        # Why it aborted (see the module's docstring), for the states reply.
        self.abort_cause = None


class Coordinator(Role):
    name = "coordinator"

    def new_txn(self, txn_id):
        return CoordinatorTxn(txn_id)

    @property
    def log_decision(self):
        return self.variant != "no-decision-log"

    # -- a client's transaction ----------------------------------------------------------------
    def on_txn(self, msg):
        body = msg["body"]
        txn_id, votes = body.get("txn"), body.get("votes")
        allowed = set(self.rt.node_ids) - {self.rt.node_id}
        if not isinstance(txn_id, str) or not isinstance(votes, dict) or not votes:
            self.rt.error(msg, MALFORMED, "txn needs a txn id and a non-empty votes object")
            return
        strangers = sorted(set(votes) - allowed)
        if strangers:
            self.rt.error(msg, MALFORMED, f"not participants: {', '.join(strangers)}")
            return
        client = (msg["src"], body.get("msg_id"))
        known = self.txns.get(txn_id)
        if known is not None:
            if known.state in DECIDED:
                self.answer(known, client)
            else:
                known.clients.append(client)
            return
        txn = self.txn(txn_id)
        txn.can_commit = {p: bool(v) for p, v in votes.items()}
        txn.clients.append(client)
        # Phase 1: WAIT is on disk before any vote_request leaves, so a restart knows the
        # transaction exists and must be aborted.
        self.transition(txn, "WAIT", participants=sorted(votes))
        txn.deadline = time.monotonic() + VOTE_TIMEOUT
        self.request_votes(txn)

    def request_votes(self, txn):
        for p in txn.participants:
            if p not in txn.voted_commit:
                self.rt.send(
                    p,
                    {
                        "type": "vote_request",
                        "txn": txn.id,
                        "can_commit": txn.can_commit.get(p, False),
                        "participants": txn.participants,
                    },
                )
        left = txn.deadline - time.monotonic()
        txn.timer = self.rt.after(max(0.0, min(VOTE_RESEND, left)), lambda: self.vote_tick(txn))

    def vote_tick(self, txn):
        txn.timer = None
        if txn.state != "WAIT":
            return
        if time.monotonic() >= txn.deadline:
            missing = [p for p in txn.participants if p not in txn.voted_commit]
            why = {"cause": "timeout", "missing": missing, "timeoutMs": int(VOTE_TIMEOUT * 1000)}
            self.decide(txn, ABORT, f"no vote from {', '.join(missing)} in time", why)
        else:
            self.request_votes(txn)  # votes or requests may have been lost: ask again

    def on_vote_commit(self, msg):
        txn = self.txns.get(msg["body"].get("txn"))
        if txn is None or txn.state != "WAIT" or msg["src"] not in txn.participants:
            return
        txn.voted_commit.add(msg["src"])
        if txn.voted_commit >= set(txn.participants):
            self.decide(txn, COMMIT, "every participant voted commit")

    def on_vote_abort(self, msg):
        txn = self.txns.get(msg["body"].get("txn"))
        if txn is None or txn.state != "WAIT" or msg["src"] not in txn.participants:
            return
        self.decide(txn, ABORT, f"{msg['src']} voted abort", {"cause": "vote-abort", "from": msg["src"]})

    # -- phase 2 ------------------------------------------------------------------------------
    def decide(self, txn, decision, why, abort_cause=None):
        txn.cancel_timer()
        extra = {"abort_cause": abort_cause} if abort_cause is not None else {}
        self.transition(txn, decision, durable=self.log_decision, **extra)
        if decision == ABORT:
            self.rt.log(f"{txn.id}: ABORT: {why}")
        txn.unacked = set(txn.participants)
        txn.resend_delay = DECISION_RESEND_FIRST
        self.send_decision(txn)
        for client in txn.clients:
            self.answer(txn, client)
        txn.clients = []

    def answer(self, txn, client):
        src, msg_id = client
        body = {"type": "txn_ok", "txn": txn.id, "decision": txn.state.lower()}
        body["in_reply_to"] = msg_id
        self.rt.send(src, body)

    def send_decision(self, txn):
        kind = "global_commit" if txn.state == COMMIT else "global_abort"
        for p in sorted(txn.unacked):
            self.rt.send(p, {"type": kind, "txn": txn.id})
        txn.timer = self.rt.after(txn.resend_delay, lambda: self.resend_decision(txn))

    def resend_decision(self, txn):
        txn.timer = None
        if not txn.unacked:
            return
        txn.resend_delay = min(txn.resend_delay * 2, DECISION_RESEND_MAX)
        self.send_decision(txn)

    def on_decision_ack(self, msg):
        txn = self.txns.get(msg["body"].get("txn"))
        if txn is None or txn.state not in DECIDED or msg["src"] not in txn.unacked:
            return
        txn.unacked.discard(msg["src"])
        if not txn.unacked:
            txn.cancel_timer()
            txn.done = True
            if self.log_decision:
                self.rt.journal.append({"txn": txn.id, "done": True})

    def on_need_decision(self, msg):
        """A participant in READY asks. Decided: tell it. In WAIT the decision comes soon (at
        the latest at the vote timeout) and is sent to it then: say nothing."""
        txn = self.txns.get(msg["body"].get("txn"))
        if txn is not None and txn.state in DECIDED:
            self.rt.send(msg["src"], {"type": "decision_state", "txn": txn.id, "state": txn.state})

    # -- reports --------------------------------------------------------------------------------
    def states(self):
        reply = super().states()
        reply["aborts"] = {
            t.id: t.abort_cause
            for t in self.txns.values()
            if t.state == ABORT and t.abort_cause is not None
        }
        return reply

    # -- restart --------------------------------------------------------------------------------
    def recover(self):
        for txn in self.txns.values():
            if txn.state == "WAIT":
                # Crashed before deciding (or, no-decision-log, before remembering it).
                self.decide(txn, ABORT, "recovered in WAIT", {"cause": "recovered"})
            elif txn.state in DECIDED and not txn.done:
                txn.unacked = set(txn.participants)
                txn.resend_delay = DECISION_RESEND_FIRST
                self.send_decision(txn)
