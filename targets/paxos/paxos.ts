// Multi-Paxos as the source material builds it up (lecture notes, "Realistic consensus: Paxos"
// through "But what about progress?"), as a lin-kv service. Every node is at once a server
// that may lead, an acceptor and a learner. The rules, quoted or paraphrased from the notes,
// are cited in comments as [P1]..[P9]:
//
//   [P1] "The primary assigns unique sequence numbers to all commands. In Paxos, the primary
//        is called the leader": the leader puts each client command in the next free slot of
//        one log, so every server executes the commands in the same order.
//   [P2] "The leader sends an accept message ACCEPT(o, t) to backups when assigning a
//        timestamp t to command o. A backup responds by sending a learn message: LEARN(o, t)."
//        Here an acceptor sends its LEARN to every other server, not only to the leader.
//   [P3] "When the leader notices that operation o has not yet been learned, it retransmits
//        ACCEPT(o, t) with the original timestamp."
//   [P4] "Never execute an operation before it is clear that it has been learned": "a server
//        S cannot execute an operation o until it has received at least one (other) LEARN(o)
//        message, so that it knows that a majority of servers will execute o." Generalized to
//        any cluster size: LEARNs of o in one ballot from a majority (a server's own
//        acceptance counts, and so does the leader's ACCEPT: it accepted o before sending).
//   [P5] "A server can reliably detect it has missed a message, and recover from that miss":
//        the leader's messages carry how far it has executed; a server that is behind (it
//        "sees unexpected timestamp and tells S2 that it missed o1") asks for the commands it
//        missed, and "S2 retransmits" them.
//   [P6] A server that "knew who the current leader was could safely reject the delayed
//        accept message: leaders should include their ID in messages". A leader's ballot is
//        (round, its id); an acceptor promises ballots and rejects messages of lower ones.
//   [P7] "When S2 takes over, it needs to make sure that any outstanding operations initiated
//        by S1 have been properly flushed, i.e., executed by enough servers. This requires an
//        explicit leadership takeover by which other servers are informed before sending out
//        new accept messages." The takeover: PREPARE with a higher ballot; a majority PROMISE
//        it and report what they accepted; the new leader re-proposes, in its ballot, the
//        value of each slot with the highest ballot, fills holes with no-ops, and takes new
//        commands only once all of that has been executed.
//   [P8] "Reliable failure detection is practically impossible. A solution is to set
//        timeouts, but take into account that a detected failure may be false." A server that
//        hears no leader for a random timeout takes over; a falsely suspected leader is
//        fenced by the higher ballot [P6]. (The notes' fixed order S1 -> S2 -> S3 is replaced
//        by random timeouts: under partitions a fixed successor may be the one cut off.)
//   [P9] Processes "may exhibit crash failures": an acceptor's promise and its accepted values
//        are on disk before the PROMISE or LEARN that reports them, so a restarted server
//        cannot break a promise or forget a value a majority was counted on.
//
// Reads go through the log like writes, so a read is answered only once its slot executed,
// after every earlier slot: linearizable. Requests to a follower are forwarded to the leader
// it knows, or answered with error 11 when it knows none.
import { forwardRequest, forwardedRequest } from "../lib/forward.ts";
import { ERRORS } from "../host/errors.ts";
import type { Body, Message, Node, Timer } from "../lib/node.ts";
import type { Storage } from "../lib/durable.ts";
import { KvStore, commandOf } from "../raft/kv.ts";
import type { Command } from "../raft/kv.ts";
import { NO_BALLOT, ballotKey, compareBallots, sameBallot } from "./ballot.ts";
import type { Ballot } from "./ballot.ts";
import type { Variant } from "./variants.ts";

/** A command in a slot, with the id of the proposal that put it there: a leader answers its
 *  client only if its own proposal is what the slot executed. */
export interface Proposal {
  id: string;
  command: Command;
}

/** One acceptance on disk; the last record of a slot is the acceptor's current value. */
interface AcceptRecord {
  slot: number;
  ballot: Ballot;
  proposal: Proposal;
}

/** What a promise reports for a slot: a value known to be chosen, or the one accepted in the
 *  highest ballot. */
interface Report {
  slot: number;
  proposal: Proposal;
  ballot?: Ballot;
  chosen: boolean;
}

export type Role = "follower" | "candidate" | "leader";

export interface PaxosOptions {
  variant: Variant;
  storage: Storage;
  /** A server takes over after a random time in [min, max) without hearing a leader [P8]. */
  electionTimeoutMs: [number, number];
  heartbeatMs: number;
  /** A leader retransmits an ACCEPT not learned by a majority after this long [P3]. */
  retransmitMs: number;
  /** How long a follower waits for the leader to answer a forwarded client request. */
  forwardTimeoutMs: number;
  catchUpTimeoutMs: number;
  /** Executed slots are written to disk in batches this often (a restart then replays them
   *  instead of learning the whole log again; losing the last batch costs only time). */
  executedFlushMs: number;
  /** Upper bound on slots per message (keeps it in one datagram). */
  maxEntriesPerMessage: number;
  /** Client requests a new leader holds while it flushes, before it answers error 11. */
  maxQueued: number;
}

export const DEFAULT_OPTIONS: Omit<PaxosOptions, "variant" | "storage"> = {
  electionTimeoutMs: [300, 600],
  heartbeatMs: 50,
  retransmitMs: 150,
  forwardTimeoutMs: 1000,
  catchUpTimeoutMs: 300,
  executedFlushMs: 50,
  maxEntriesPerMessage: 100,
  maxQueued: 1000,
};

const NOOP: Proposal = { id: "noop", command: { type: "noop" } };

type Respond = (body: Body) => void;

export class Paxos {
  // Acceptor state, on disk [P9].
  promised: Ballot = NO_BALLOT;
  readonly accepted = new Map<number, { ballot: Ballot; proposal: Proposal }>();

  // Learner and state machine. executedLog[i] is what slot i + 1 executed [P4].
  readonly executedLog: Proposal[] = [];
  readonly kv = new KvStore();
  /** Slots known chosen but not executed yet (an earlier slot is missing). */
  private chosen = new Map<number, Proposal>();
  /** slot -> ballot -> the value and the servers known to have accepted it there. */
  private learns = new Map<number, Map<string, { proposal: Proposal; from: Set<string> }>>();
  /** The highest slot this server knows anything about. */
  private highestSlot = 0;
  /** Executed slots not yet written to disk. */
  private unsavedExecuted: { slot: number; proposal: Proposal }[] = [];

  role: Role = "follower";
  leaderId: string | null = null;
  /** The ballot this server campaigns or leads with. */
  ballot: Ballot = NO_BALLOT;
  private maxRound = 0;

  // Leader state.
  private nextSlot = 1;
  /** False while a new leader flushes what earlier leaders left [P7]. */
  private serving = false;
  private flushUpTo = 0;
  /** Proposals of this leadership not yet on disk (written and sent in one batch). */
  private unsent: { slot: number; proposal: Proposal }[] = [];
  private flushScheduled = false;
  /** Own proposals on disk and sent, not yet known chosen: retransmitted [P3]. */
  private outstanding = new Map<number, { proposal: Proposal; sentAt: number }>();
  private pending = new Map<number, { id: string; respond: Respond }>();
  private queued: { command: Command; respond: Respond }[] = [];
  private lastHeard = new Map<string, number>();

  // Candidate state: the reports merged so far, and the peers whose promise is complete.
  private recovered = new Map<number, Report>();
  private promisedBy = new Set<string>();

  private catchUpInFlight = false;
  private electionTimer: Timer | undefined;
  private heartbeatTimer: Timer | undefined;

  constructor(
    readonly node: Node,
    readonly opts: PaxosOptions,
  ) {
    node.onInit(() => this.start());
    node.on("prepare", (m) => this.onPrepare(m));
    node.on("promise", (m) => this.onPromise(m));
    node.on("accept", (m) => this.onAccept(m));
    node.on("learn", (m) => this.onLearn(m));
    node.on("nack", (m) => this.onNack(m));
    node.on("catch_up", (m) => this.onCatchUp(m));
    for (const type of ["read", "write", "cas"]) node.on(type, (m) => this.onClientRequest(m));
    node.on("forward", (m) => this.onForward(m));
    node.on("role", (m) => this.onRole(m));
  }

  /** Every slot up to this one has executed. */
  get executedUpTo(): number {
    return this.executedLog.length;
  }

  private get majority(): number {
    return Math.floor(this.node.nodeIds.length / 2) + 1;
  }

  // ---- start and recovery [P9] ---------------------------------------------------------

  private start(): void {
    const promised = this.opts.storage.load("promised") as Ballot | undefined;
    if (promised) this.promised = promised;
    this.maxRound = this.promised[0];
    for (const r of this.opts.storage.readRecords("accepted") as AcceptRecord[]) {
      this.accepted.set(r.slot, { ballot: r.ballot, proposal: r.proposal });
      this.highestSlot = Math.max(this.highestSlot, r.slot);
      this.maxRound = Math.max(this.maxRound, r.ballot[0]);
    }
    // Replay the executed prefix: only chosen values were executed [P4], so they stand. What
    // was executed after the last batch reached the disk is learned again [P5].
    for (const r of this.opts.storage.readRecords("executed") as {
      slot: number;
      proposal: Proposal;
    }[]) {
      if (r.slot !== this.executedUpTo + 1) break;
      this.executedLog.push(r.proposal);
      this.kv.apply(r.proposal.command);
    }
    this.highestSlot = Math.max(this.highestSlot, this.executedUpTo);
    this.node.log(
      `paxos ${this.node.id} start: promised ${ballotKey(this.promised)}, ${this.accepted.size} accepted slots, ${this.executedUpTo} executed, variant ${this.opts.variant}`,
    );
    this.resetElectionTimer();
  }

  /** Promise a higher ballot, on disk before anyone hears of it [P6] [P9]. */
  private promise(ballot: Ballot): void {
    this.promised = ballot;
    this.maxRound = Math.max(this.maxRound, ballot[0]);
    this.opts.storage.save("promised", ballot);
    if (this.role !== "follower" && !sameBallot(ballot, this.ballot)) this.stepDown();
  }

  /** Stop leading or campaigning; clients waiting on this leadership get their answers. */
  private stepDown(): void {
    if (this.role === "leader") this.node.log(`paxos: no longer leading ${ballotKey(this.ballot)}`);
    this.role = "follower";
    this.serving = false;
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = undefined;
    // Proposed commands may still be chosen under the next leader: outcome unknown.
    for (const p of this.pending.values()) {
      p.respond({
        type: "error",
        code: ERRORS.timeout.code,
        text: "leadership lost; outcome unknown",
      });
    }
    // Queued ones were never proposed: they certainly did not take effect.
    for (const q of this.queued) {
      q.respond({
        type: "error",
        code: ERRORS.temporarilyUnavailable.code,
        text: "leadership lost before the request was proposed",
      });
    }
    this.pending.clear();
    this.queued = [];
    this.unsent = [];
    this.outstanding.clear();
    this.recovered.clear();
    this.promisedBy.clear();
    this.resetElectionTimer();
  }

  // ---- takeover [P7] [P8] ----------------------------------------------------------------

  private resetElectionTimer(): void {
    this.electionTimer?.cancel();
    const [min, max] = this.opts.electionTimeoutMs;
    const ms = min + this.node.clock.random() * (max - min);
    this.electionTimer = this.afterPendingMessages(ms, () => this.startTakeover());
  }

  /** A timer for a suspicion: once `ms` have passed, `fn` runs only after the messages that
   *  arrived meanwhile were handled (they may cancel it). A process starved of CPU for longer
   *  than a timeout otherwise wakes with its timer due before the heartbeats queued behind
   *  it, and suspects a leader that is alive [P8] (seen on this 2-core machine at load 35:
   *  a leader deposed within seconds of the start, before any fault). */
  private afterPendingMessages(ms: number, fn: () => void): Timer {
    let current: Timer;
    const outer = this.node.clock.after(ms, () => (current = this.node.clock.after(0, fn)));
    current = outer;
    return { cancel: () => current.cancel() };
  }

  /** No leader heard for a while [P8]: PREPARE a ballot higher than any seen [P6] [P7]. */
  private startTakeover(): void {
    if (this.role === "leader") return;
    this.ballot = [Math.max(this.maxRound, this.promised[0]) + 1, this.node.id];
    this.promise(this.ballot); // this server is one of the acceptors that promise it
    this.role = "candidate";
    this.leaderId = null;
    this.recovered = new Map();
    this.promisedBy = new Set();
    const from = this.executedUpTo + 1;
    for (const r of this.report(from, Infinity).entries) this.merge(r);
    this.node.log(`paxos: takeover with ballot ${ballotKey(this.ballot)} from slot ${from}`);
    this.resetElectionTimer(); // no majority in time: try again with a higher round
    if (this.majority <= 1) return this.finishTakeover();
    for (const peer of this.node.peers) {
      this.node.send(peer, { type: "prepare", ballot: this.ballot, from });
    }
  }

  /** What this acceptor knows from slot `from` on, at most `limit` slots; `next` is where the
   *  following chunk starts (null when nothing is left). */
  private report(from: number, limit: number): { entries: Report[]; next: number | null } {
    const entries: Report[] = [];
    const top = Math.max(this.highestSlot, this.executedUpTo);
    for (let slot = from; slot <= top; slot++) {
      if (entries.length >= limit) return { entries, next: slot };
      const known = this.executedLog[slot - 1] ?? this.chosen.get(slot);
      const a = this.accepted.get(slot);
      if (known) entries.push({ slot, proposal: known, chosen: true });
      else if (a) entries.push({ slot, proposal: a.proposal, ballot: a.ballot, chosen: false });
    }
    return { entries, next: null };
  }

  /** Keep, per slot, a value known chosen, else the one accepted in the highest ballot [P7]. */
  private merge(r: Report): void {
    const current = this.recovered.get(r.slot);
    if (current?.chosen) return;
    if (r.chosen || !current || compareBallots(r.ballot!, current.ballot!) > 0) {
      this.recovered.set(r.slot, r);
    }
  }

  private onPrepare(msg: Message): void {
    const b = msg.body as Body & { ballot: Ballot; from: number };
    const order = compareBallots(b.ballot, this.promised);
    if (order < 0) return this.node.reply(msg, { type: "nack", ballot: this.promised });
    if (order > 0) {
      this.promise(b.ballot);
      this.leaderId = null; // a takeover is under way: the old leader is suspected
    }
    // (An equal ballot is the same candidate asking for the next chunk of its report.)
    this.resetElectionTimer();
    const { entries, next } = this.report(b.from, this.opts.maxEntriesPerMessage);
    this.node.reply(msg, { type: "promise", ballot: b.ballot, entries, next });
  }

  private onPromise(msg: Message): void {
    const b = msg.body as Body & { ballot: Ballot; entries: Report[]; next: number | null };
    if (this.role !== "candidate" || !sameBallot(b.ballot, this.ballot)) return;
    // The no-flush-takeover variant's mistake: promises only count as votes; what the other
    // servers accepted from the old leader is never re-proposed [P7].
    if (this.opts.variant !== "no-flush-takeover") for (const r of b.entries) this.merge(r);
    this.resetElectionTimer(); // the report is arriving: give its chunks time
    if (b.next !== null) {
      this.node.send(msg.src, { type: "prepare", ballot: this.ballot, from: b.next });
      return;
    }
    this.promisedBy.add(msg.src);
    if (this.promisedBy.size + 1 >= this.majority) this.finishTakeover();
  }

  /** A majority promised: flush what earlier leaders left, then serve [P7]. */
  private finishTakeover(): void {
    this.role = "leader";
    this.leaderId = this.node.id;
    this.electionTimer?.cancel();
    let top = this.executedUpTo;
    for (const slot of this.recovered.keys()) top = Math.max(top, slot);
    for (let slot = this.executedUpTo + 1; slot <= top; slot++) {
      if (this.chosen.has(slot)) continue;
      const r = this.recovered.get(slot);
      if (r?.chosen) this.learnChosen(slot, r.proposal);
      else this.propose(slot, r ? r.proposal : NOOP); // a hole: fill it with a no-op
    }
    this.recovered.clear();
    this.nextSlot = top + 1;
    this.flushUpTo = top;
    // The no-flush-takeover variant also takes new commands at once.
    this.serving = this.opts.variant === "no-flush-takeover" || this.executedUpTo >= top;
    const now = this.node.clock.now();
    for (const peer of this.node.peers) this.lastHeard.set(peer, now);
    this.node.log(
      `paxos: leading ${ballotKey(this.ballot)}; flushing slots ${this.executedUpTo + 1}..${top}`,
    );
    this.heartbeat();
  }

  private onNack(msg: Message): void {
    const b = msg.body as Body & { ballot: Ballot };
    this.maxRound = Math.max(this.maxRound, b.ballot[0]);
    if (this.role !== "follower" && compareBallots(b.ballot, this.ballot) > 0) this.stepDown();
  }

  // ---- ACCEPT and LEARN [P1] [P2] [P3] [P4] ----------------------------------------------

  /** Leader: a client command gets the next sequence number [P1]. */
  private submit(command: Command, respond: Respond): void {
    const slot = this.nextSlot++;
    const id = `${ballotKey(this.ballot)}/${slot}`; // unique: one leadership, one slot
    this.pending.set(slot, { id, respond });
    this.propose(slot, { id, command });
  }

  /** Leader: put a value in a slot in this ballot; written and sent in the next batch. */
  private propose(slot: number, proposal: Proposal): void {
    this.unsent.push({ slot, proposal });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.node.clock.after(0, () => {
      this.flushScheduled = false;
      this.sendBatch();
    });
  }

  /** Accept the batch here (on disk [P9]), count it as this server's LEARN, send ACCEPTs. */
  private sendBatch(): void {
    if (this.role !== "leader" || this.unsent.length === 0) return;
    const batch = this.unsent;
    this.unsent = [];
    const records: AcceptRecord[] = batch.map((e) => ({ ...e, ballot: this.ballot }));
    for (const r of records) this.acceptHere(r);
    this.opts.storage.appendRecords("accepted", records);
    const now = this.node.clock.now();
    for (const e of batch) this.outstanding.set(e.slot, { proposal: e.proposal, sentAt: now });
    for (const e of batch) this.recordLearn(e.slot, this.ballot, e.proposal, this.node.id);
    const max = this.opts.maxEntriesPerMessage;
    for (let i = 0; i < batch.length; i += max) this.sendAccepts(batch.slice(i, i + max));
    // The execute-before-majority variant executes (and answers) right here.
    if (this.opts.variant === "execute-before-majority") this.executeReady();
  }

  private sendAccepts(entries: { slot: number; proposal: Proposal }[]): void {
    for (const peer of this.node.peers) {
      this.node.send(peer, {
        type: "accept",
        ballot: this.ballot,
        entries,
        executed: this.executedUpTo, // [P5] followers behind this ask for what they missed
      });
    }
  }

  private acceptHere(r: AcceptRecord): void {
    this.accepted.set(r.slot, { ballot: r.ballot, proposal: r.proposal });
    this.highestSlot = Math.max(this.highestSlot, r.slot);
  }

  /** Leader, every heartbeat: step down if cut off, retransmit what is not learned [P3]. */
  private heartbeat(): void {
    if (this.role !== "leader") return;
    // A leader that has heard from no majority for a whole election timeout steps down: a
    // new leader has probably taken over on the other side. Its clients then get error 11
    // instead of waiting for slots that cannot be chosen. (Safety does not depend on it.)
    const now = this.node.clock.now();
    let heard = 1;
    for (const t of this.lastHeard.values()) if (now - t < this.opts.electionTimeoutMs[1]) heard++;
    if (heard < this.majority) {
      this.node.log(`paxos: no majority heard for ${this.opts.electionTimeoutMs[1]} ms`);
      this.leaderId = null;
      return this.stepDown();
    }
    const again: { slot: number; proposal: Proposal }[] = [];
    for (const [slot, o] of this.outstanding) {
      if (again.length >= this.opts.maxEntriesPerMessage) break;
      if (now - o.sentAt < this.opts.retransmitMs) continue;
      o.sentAt = now;
      again.push({ slot, proposal: o.proposal });
    }
    this.sendAccepts(again); // with no entries, a heartbeat
    this.heartbeatTimer = this.afterPendingMessages(this.opts.heartbeatMs, () => this.heartbeat());
  }

  private onAccept(msg: Message): void {
    const b = msg.body as Body & {
      ballot: Ballot;
      entries: { slot: number; proposal: Proposal }[];
      executed: number;
    };
    const order = compareBallots(b.ballot, this.promised);
    // A delayed ACCEPT of a deposed leader [P6]: rejected, and the sender told why.
    if (order < 0) return this.node.send(msg.src, { type: "nack", ballot: this.promised });
    if (order > 0) this.promise(b.ballot);
    this.leaderId = b.ballot[1];
    this.resetElectionTimer();
    const fresh: AcceptRecord[] = [];
    for (const e of b.entries) {
      const current = this.accepted.get(e.slot);
      if (current && sameBallot(current.ballot, b.ballot)) continue; // a retransmission
      const r = { slot: e.slot, ballot: b.ballot, proposal: e.proposal };
      this.acceptHere(r);
      fresh.push(r);
    }
    this.opts.storage.appendRecords("accepted", fresh); // [P9] on disk before the LEARN
    for (const e of b.entries) {
      // The ACCEPT is the leader's own LEARN (it accepted before sending), and ours follows.
      this.recordLearn(e.slot, b.ballot, e.proposal, msg.src);
      this.recordLearn(e.slot, b.ballot, e.proposal, this.node.id);
    }
    const learn = {
      type: "learn",
      ballot: b.ballot,
      entries: b.entries,
      executed: this.executedUpTo,
    };
    // [P2] LEARN to every server; a bare heartbeat is only acknowledged to the leader.
    const to = b.entries.length > 0 ? this.node.peers : [msg.src];
    for (const peer of to) this.node.send(peer, learn);
    if (b.executed > this.executedUpTo) this.catchUp(msg.src); // [P5]
  }

  private onLearn(msg: Message): void {
    const b = msg.body as Body & {
      ballot: Ballot;
      entries: { slot: number; proposal: Proposal }[];
    };
    if (this.role === "leader" && sameBallot(b.ballot, this.ballot)) {
      this.lastHeard.set(msg.src, this.node.clock.now());
    }
    for (const e of b.entries) this.recordLearn(e.slot, b.ballot, e.proposal, msg.src);
  }

  /** `from` accepted `proposal` in `slot` in `ballot`; a majority of those makes it chosen [P4]. */
  private recordLearn(slot: number, ballot: Ballot, proposal: Proposal, from: string): void {
    if (slot <= this.executedUpTo || this.chosen.has(slot)) return;
    let byBallot = this.learns.get(slot);
    if (!byBallot) this.learns.set(slot, (byBallot = new Map()));
    const key = ballotKey(ballot);
    let seen = byBallot.get(key);
    if (!seen) byBallot.set(key, (seen = { proposal, from: new Set() }));
    seen.from.add(from);
    if (seen.from.size >= this.majority) this.learnChosen(slot, proposal);
  }

  private learnChosen(slot: number, proposal: Proposal): void {
    if (slot <= this.executedUpTo || this.chosen.has(slot)) return;
    this.chosen.set(slot, proposal);
    this.learns.delete(slot);
    this.outstanding.delete(slot);
    this.highestSlot = Math.max(this.highestSlot, slot);
    this.executeReady();
  }

  /** Execute chosen slots in order [P1] [P4]; the leader answers the clients waiting. */
  private executeReady(): void {
    for (;;) {
      const slot = this.executedUpTo + 1;
      let proposal = this.chosen.get(slot);
      // The execute-before-majority variant's mistake: a leader executes what it has accepted
      // itself in its own ballot, without waiting to learn that a majority did [P4].
      if (!proposal && this.opts.variant === "execute-before-majority" && this.role === "leader") {
        const a = this.accepted.get(slot);
        if (a && sameBallot(a.ballot, this.ballot)) proposal = a.proposal;
      }
      if (!proposal) break;
      this.chosen.delete(slot);
      this.learns.delete(slot);
      this.outstanding.delete(slot);
      this.executedLog.push(proposal);
      this.saveExecuted(slot, proposal);
      const result = this.kv.apply(proposal.command);
      const waiting = this.pending.get(slot);
      if (waiting) {
        this.pending.delete(slot);
        waiting.respond(
          waiting.id === proposal.id
            ? result
            : { type: "error", code: ERRORS.timeout.code, text: "slot taken by another leader" },
        );
      }
    }
    if (this.role === "leader" && !this.serving && this.executedUpTo >= this.flushUpTo) {
      // The flush is done [P7]: new commands may be proposed now.
      this.serving = true;
      const queued = this.queued;
      this.queued = [];
      for (const q of queued) this.submit(q.command, q.respond);
    }
  }

  private saveExecuted(slot: number, proposal: Proposal): void {
    this.unsavedExecuted.push({ slot, proposal });
    if (this.unsavedExecuted.length > 1) return; // a write is already scheduled
    this.node.clock.after(this.opts.executedFlushMs, () => {
      this.opts.storage.appendRecords("executed", this.unsavedExecuted);
      this.unsavedExecuted = [];
    });
  }

  // ---- catching up [P5] -------------------------------------------------------------------

  /** Ask `peer` for the chosen commands from the first slot not executed here. */
  private catchUp(peer: string): void {
    if (this.catchUpInFlight) return;
    this.catchUpInFlight = true;
    const body = { type: "catch_up", from: this.executedUpTo + 1 };
    this.node.request(peer, body, this.opts.catchUpTimeoutMs, (reply) => {
      this.catchUpInFlight = false;
      if (reply?.type !== "decided") return;
      const entries = reply.entries as { slot: number; proposal: Proposal }[];
      for (const e of entries) this.learnChosen(e.slot, e.proposal);
      if (reply.more === true && entries.length > 0) this.catchUp(peer);
    });
  }

  private onCatchUp(msg: Message): void {
    const from = Number(msg.body.from);
    const max = this.opts.maxEntriesPerMessage;
    const entries = this.executedLog
      .slice(from - 1, from - 1 + max)
      .map((proposal, i) => ({ slot: from + i, proposal }));
    this.node.reply(msg, {
      type: "decided",
      entries,
      more: this.executedUpTo >= from + max,
    });
  }

  // ---- the client side: lin-kv requests, forwarding, role queries -----------------------

  private onClientRequest(msg: Message): void {
    this.handleRequest(msg.body, (body) => this.node.reply(msg, body), true);
  }

  /** Serve a lin-kv request, or forward it to the leader once (never a second hop). */
  private handleRequest(body: Body, respond: Respond, mayForward: boolean): void {
    const command = commandOf(body);
    if (!command) {
      return respond({ type: "error", code: ERRORS.notSupported.code, text: body.type });
    }
    if (this.role === "leader") {
      if (this.serving) return this.submit(command, respond);
      if (this.queued.length < this.opts.maxQueued) {
        this.queued.push({ command, respond }); // proposed once the takeover's flush is done
        return;
      }
    } else if (mayForward && this.leaderId && this.leaderId !== this.node.id) {
      return this.forward(this.leaderId, body, respond);
    }
    respond({
      type: "error",
      code: ERRORS.temporarilyUnavailable.code,
      text: this.role === "leader" ? "taking over: too many requests waiting" : "no leader known",
    });
  }

  private forward(leader: string, body: Body, respond: Respond): void {
    forwardRequest(this.node, leader, body, this.opts.forwardTimeoutMs, respond);
  }

  private onForward(msg: Message): void {
    this.handleRequest(forwardedRequest(msg), (body) => this.node.reply(msg, body), false);
  }

  /** Whether this server thinks it leads (used by Target.leader and tests). */
  private onRole(msg: Message): void {
    this.node.reply(msg, {
      type: "role_ok",
      role: this.role,
      ballot: this.ballot,
      promised: this.promised,
      leader: this.leaderId,
      serving: this.serving,
      executed: this.executedUpTo,
    });
  }
}
