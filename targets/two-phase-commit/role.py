"""What the coordinator and the participants share: per transaction, a state and the list of
transitions it went through ([state, wall-clock ms], in order), kept in memory and, for the
transitions the protocol needs to survive a crash, in the journal. After a restart the
journal is replayed, so a node reports (txn_states) the transitions it recovered too.

Journal records, one JSON object a line:
  {"txn": "t17", "state": "READY", "t": 1763800010003, ...}   a transition (plus what the role
                                                               needs to recover: participants,
                                                               coordinator)
  {"txn": "t17", "done": true}                                 the coordinator: every participant
                                                               acknowledged the decision
"""
from runtime import wall_ms

COMMIT = "COMMIT"
ABORT = "ABORT"
DECIDED = (COMMIT, ABORT)


class Txn:
    def __init__(self, txn_id):
        self.id = txn_id
        self.state = None
        self.transitions = []
        self.participants = []
        self.coordinator = None
        self.timer = None
        # Participant: the wait before asking again (need_decision).
        self.ask_delay = 0.0
        # Coordinator: every participant acknowledged the decision.
        self.done = False

    def cancel_timer(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class Role:
    name = "?"

    def __init__(self, rt, variant):
        self.rt = rt
        self.variant = variant
        self.txns = {}

    def txn(self, txn_id):
        txn = self.txns.get(txn_id)
        if txn is None:
            txn = self.new_txn(txn_id)
            self.txns[txn_id] = txn
        return txn

    def new_txn(self, txn_id):
        return Txn(txn_id)

    def transition(self, txn, state, durable=True, **extra):
        """Enter `state` now. Durable: journaled, so on disk before any message sent after."""
        t = wall_ms()
        txn.state = state
        txn.transitions.append([state, t])
        for key, value in extra.items():
            setattr(txn, key, value)
        if durable:
            self.rt.journal.append({"txn": txn.id, "state": state, "t": t, **extra})

    def replay(self, records):
        """Rebuild every transaction from the journal (at start, before recover())."""
        for record in records:
            txn_id = record.get("txn")
            if not isinstance(txn_id, str):
                continue
            txn = self.txn(txn_id)
            if record.get("done"):
                txn.done = True
            state = record.get("state")
            if state is None:
                continue
            txn.state = state
            txn.transitions.append([state, record.get("t")])
            if "participants" in record:
                txn.participants = list(record["participants"])
            if "coordinator" in record:
                txn.coordinator = record["coordinator"]
            if "abort_cause" in record:
                txn.abort_cause = record["abort_cause"]

    def recover(self):
        """Act on what replay() found (the recovery table)."""

    def states(self):
        return {
            "type": "txn_states_ok",
            "role": self.name,
            "now": wall_ms(),
            "txns": {t.id: [list(x) for x in t.transitions] for t in self.txns.values()},
        }

    def handle(self, msg):
        """A message other than init and txn_states; True if the role knew its type."""
        handler = getattr(self, "on_" + str(msg["body"].get("type")), None)
        if handler is None:
            return False
        handler(msg)
        return True
