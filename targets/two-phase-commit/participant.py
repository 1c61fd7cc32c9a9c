"""A participant (n2..nN): one state machine per transaction, INIT -> READY -> COMMIT / ABORT,
or INIT -> ABORT.

On vote_request the participant enters INIT and does its local work, whose outcome the
request carries (can_commit). If it can commit it journals READY and votes vote_commit;
otherwise it journals ABORT (a participant may abort on its own before voting) and votes
vote_abort. A repeated vote_request gets the same vote again.

In READY it waits for the coordinator's decision (global_commit / global_abort, acknowledged
with decision_ack once journaled). Without one after READY_TIMEOUT it asks the coordinator
and the other participants (need_decision), again and again with backoff, until someone
that knows answers (decision_state). How a participant answers need_decision is the
source's table for a recovering participant:

  its state   answer (decision_state)     and
  COMMIT      COMMIT
  ABORT       ABORT
  INIT        ABORT                       it aborts: it has not voted, and now never will
                                          vote commit (a vote_request arriving later gets
                                          vote_abort). A transaction it never heard of is
                                          one it is in INIT for.
  READY       READY ("ask someone else")

Recovery (at start, from the journal): READY -> ask the coordinator and the others at once,
until it learns the decision; INIT -> abort; COMMIT / ABORT -> nothing to do (the coordinator
sends the decision again until acknowledged, and it is acknowledged again).

Variants:
  abort-on-timeout  in READY without a decision after READY_TIMEOUT, it aborts on its own
                    instead of asking (READY means it promised to follow the coordinator).
  vote-not-logged   READY is not journaled before vote_commit leaves: after a restart the
                    journal shows INIT, so it aborts and answers need_decision with ABORT.
"""
from role import ABORT, COMMIT, DECIDED, Role

# Seconds: first ask after READY_TIMEOUT, then twice the previous wait, at most ASK_MAX.
READY_TIMEOUT = 0.5
ASK_MAX = 2.0


class Participant(Role):
    name = "participant"

    @property
    def log_vote(self):
        return self.variant != "vote-not-logged"

    # -- phase 1 ------------------------------------------------------------------------------
    def on_vote_request(self, msg):
        body = msg["body"]
        txn_id = body.get("txn")
        if not isinstance(txn_id, str):
            return
        txn = self.txns.get(txn_id)
        if txn is None:
            txn = self.txn(txn_id)
            participants = [p for p in body.get("participants") or [] if isinstance(p, str)]
            self.transition(txn, "INIT", coordinator=msg["src"], participants=participants)
            if body.get("can_commit") is True:
                self.transition(txn, "READY", durable=self.log_vote)
                self.wait_for_decision(txn, READY_TIMEOUT)
            else:
                self.transition(txn, ABORT)
        # A repeated request gets the same vote again; so does one that finds us decided.
        vote = "vote_abort" if txn.state == ABORT else "vote_commit"
        self.rt.send(msg["src"], {"type": vote, "txn": txn.id})

    # -- waiting for the decision -------------------------------------------------------------
    def wait_for_decision(self, txn, delay):
        txn.cancel_timer()
        txn.ask_delay = delay
        txn.timer = self.rt.after(delay, lambda: self.ready_timeout(txn))

    def ready_timeout(self, txn):
        txn.timer = None
        if txn.state != "READY":
            return
        if self.variant == "abort-on-timeout":
            self.rt.log(f"{txn.id}: no decision in READY: aborting on my own (abort-on-timeout)")
            self.transition(txn, ABORT)
            return
        self.ask(txn)
        txn.ask_delay = min(max(txn.ask_delay * 2, READY_TIMEOUT), ASK_MAX)
        txn.timer = self.rt.after(txn.ask_delay, lambda: self.ready_timeout(txn))

    def ask(self, txn):
        others = [txn.coordinator] if txn.coordinator else []
        others += [p for p in txn.participants if p != self.rt.node_id and p not in others]
        for node in others:
            self.rt.send(node, {"type": "need_decision", "txn": txn.id})

    def learn(self, txn, decision, source):
        if txn.state in DECIDED:
            if txn.state != decision:
                self.rt.log(f"{txn.id}: {source} says {decision}, but I am {txn.state}; I keep it")
            return
        txn.cancel_timer()
        self.transition(txn, decision)

    # -- phase 2: the coordinator's decision ----------------------------------------------------
    def on_global_commit(self, msg):
        self.from_coordinator(msg, COMMIT)

    def on_global_abort(self, msg):
        self.from_coordinator(msg, ABORT)

    def from_coordinator(self, msg, decision):
        txn_id = msg["body"].get("txn")
        if not isinstance(txn_id, str):
            return
        txn = self.txns.get(txn_id)
        if txn is None:
            # The vote_request never reached us. An abort: we are INIT, and abort. A commit
            # cannot happen without our vote; if it does (a lost journal) follow the coordinator.
            txn = self.txn(txn_id)
            txn.coordinator = msg["src"]
            if decision == ABORT:
                self.transition(txn, "INIT", coordinator=msg["src"])
            else:
                self.rt.log(f"{txn_id}: COMMIT for a transaction I have no record of")
            self.transition(txn, decision)
        else:
            self.learn(txn, decision, msg["src"])
        # Journaled before this leaves (the loop's order), so an ack is never premature.
        self.rt.send(msg["src"], {"type": "decision_ack", "txn": txn_id})

    # -- cooperative termination -----------------------------------------------------------------
    def on_need_decision(self, msg):
        txn_id = msg["body"].get("txn")
        if not isinstance(txn_id, str):
            return
        txn = self.txns.get(txn_id)
        if txn is None:
            txn = self.txn(txn_id)
            self.transition(txn, "INIT")
        if txn.state == "INIT":
            # Never voted: abort now, so that no later vote_request can make us vote commit.
            self.transition(txn, ABORT)
        self.rt.send(msg["src"], {"type": "decision_state", "txn": txn_id, "state": txn.state})

    def on_decision_state(self, msg):
        body = msg["body"]
        txn = self.txns.get(body.get("txn"))
        if txn is not None and body.get("state") in DECIDED:
            self.learn(txn, body["state"], msg["src"])
        # "READY": that one knows no more than we do; the others (or the next round) may.

    # -- restart --------------------------------------------------------------------------------
    def recover(self):
        for txn in self.txns.values():
            if txn.state == "READY":
                self.wait_for_decision(txn, 0.0)  # ask at once
            elif txn.state == "INIT":
                self.transition(txn, ABORT)
