// Raft, as the source material describes it (lecture notes, "Raft" slides), as a lin-kv
// service. The rules, quoted or paraphrased from the notes, are cited in comments as [R1]..[R7]:
//
//   [R1] "The current leader operates during the current term": one leader per term, chosen
//        by "a fairly straightforward leader-election algorithm" (randomized timeouts, votes
//        from a majority, at most one vote per node per term).
//   [R2] "Every server keeps a log of operations, some of which have been committed."
//   [R3] "A backup will not vote for a new leader if its own log is more up to date."
//   [R4] "The leader appends the request <o, t, length> to its own log (registering the
//        current term t and length of the log)" and sends it to the others, which copy it
//        and acknowledge; "any information at the backups is overwritten" by the leader's.
//   [R5] "When a majority of acks arrives, the leader commits o." Raft's refinement: only
//        entries of the leader's current term are committed by counting acks; earlier ones
//        commit with them.
//   [R6] "All committed operations have the same position in the log of each server"; the
//        new leader "has the most committed operations in its log" and "any missing commits
//        will eventually be sent to the other backups".
//   [R7] Term, vote and log are on disk before any reply that depends on them, so a crash
//        and restart (recovering from disk) cannot make a node forget a vote or an ack.
//   [R8] Raft's log compaction (not in the notes; what keeps a long run's log bounded): a
//        node replaces the applied prefix of its log by a snapshot of the state machine, and
//        a leader sends its snapshot to a follower that needs entries it no longer has.
//
// Reads go through the log like writes, so a read is answered only by a node that was
// leader when a majority accepted the read's entry: linearizable. Requests to a follower are
// forwarded to the leader it knows, or answered with error 11 when it knows none.
import { forwardRequest, forwardedRequest } from "../lib/forward.ts";
import { ERRORS } from "../host/errors.ts";
import type { Body, Message, Node, Timer } from "../lib/node.ts";
import type { Storage } from "../lib/durable.ts";
import { KvStore, commandOf } from "./kv.ts";
import type { Command } from "./kv.ts";
import type { Variant } from "./variants.ts";

export interface Entry {
  term: number;
  command: Command;
}

export type Role = "follower" | "candidate" | "leader";

export interface RaftOptions {
  variant: Variant;
  storage: Storage;
  /** A follower starts an election after a random time in [min, max) without a leader. */
  electionTimeoutMs: [number, number];
  heartbeatMs: number;
  /** How long a follower waits for the leader to answer a forwarded client request. */
  forwardTimeoutMs: number;
  /** Upper bound on entries per append_entries message (keeps it in one datagram). */
  maxEntriesPerMessage: number;
  /** Compact the log once this many applied entries follow the last snapshot [R8]. */
  snapshotEvery: number;
}

export const DEFAULT_OPTIONS: Omit<RaftOptions, "variant" | "storage"> = {
  electionTimeoutMs: [300, 600],
  heartbeatMs: 50,
  forwardTimeoutMs: 1000,
  maxEntriesPerMessage: 100,
  snapshotEvery: 1000,
};

/** The state machine up to an index of the log, on disk in place of that prefix [R8]. */
export interface Snapshot {
  index: number;
  term: number;
  kv: [string, unknown][];
}

/** A log entry as stored on disk: with its index, so that entries a snapshot already covers
 *  are recognised after a crash between writing the snapshot and rewriting the log. */
type StoredEntry = Entry & { index: number };

/** A client request waiting for its log entry to be applied. */
interface Pending {
  term: number;
  respond: (body: Body) => void;
}

export class Raft {
  // Persistent state [R7]: saved before any reply that depends on it.
  currentTerm = 0;
  votedFor: string | null = null;
  /** The entries after the snapshot: log[0] is the entry at index snapshotIndex + 1 [R2]. */
  log: Entry[] = [];
  /** The last index and term the snapshot covers (0 without one) [R8]. */
  snapshotIndex = 0;
  snapshotTerm = 0;

  // Volatile state.
  role: Role = "follower";
  leaderId: string | null = null;
  commitIndex = 0;
  lastApplied = 0;
  readonly kv = new KvStore();

  // Leader state, reset on each election.
  private nextIndex = new Map<string, number>();
  private matchIndex = new Map<string, number>();
  /** The last index sent to each peer; a reply up to it means nothing else is in flight. */
  private sentUpTo = new Map<string, number>();
  /** When each peer last answered an append (to notice a leader cut off from a majority). */
  private lastHeard = new Map<string, number>();
  private votes = new Set<string>();
  private pending = new Map<number, Pending>();
  /** Log entries up to this index are on disk. */
  private persistedIndex = 0;
  private flushScheduled = false;

  private electionTimer: Timer | undefined;
  private heartbeatTimer: Timer | undefined;

  constructor(
    readonly node: Node,
    readonly opts: RaftOptions,
  ) {
    node.onInit(() => this.start());
    node.on("request_vote", (m) => this.onRequestVote(m));
    node.on("request_vote_ok", (m) => this.onRequestVoteReply(m));
    node.on("append_entries", (m) => this.onAppendEntries(m));
    node.on("append_entries_ok", (m) => this.onAppendEntriesReply(m));
    node.on("install_snapshot", (m) => this.onInstallSnapshot(m));
    for (const type of ["read", "write", "cas"]) node.on(type, (m) => this.onClientRequest(m));
    node.on("forward", (m) => this.onForward(m));
    node.on("role", (m) => this.onRole(m));
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.log.length;
  }

  /** The entry at an index after the snapshot (undefined at or before it, or past the end). */
  entryAt(index: number): Entry | undefined {
    return index > this.snapshotIndex ? this.log[index - this.snapshotIndex - 1] : undefined;
  }

  termAt(index: number): number {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return this.entryAt(index)?.term ?? 0;
  }

  private get majority(): number {
    return Math.floor(this.node.nodeIds.length / 2) + 1;
  }

  // ---- start and recovery ------------------------------------------------------------

  /** Recover term, vote and log from disk [R7], then wait for a leader as a follower. */
  private start(): void {
    if (this.opts.variant !== "no-persist") {
      const meta = this.opts.storage.load("meta") as
        { term: number; votedFor: string | null } | undefined;
      if (meta) {
        this.currentTerm = meta.term;
        this.votedFor = meta.votedFor;
      }
    }
    const snapshot = this.opts.storage.load("snapshot") as Snapshot | undefined;
    if (snapshot) this.restoreSnapshot(snapshot);
    const stored = this.opts.storage.readRecords("log") as StoredEntry[];
    // Entries the snapshot covers are left over from a crash before the log was rewritten.
    this.log = stored
      .filter((e) => e.index > this.snapshotIndex)
      .map(({ term, command }) => ({ term, command }));
    this.persistedIndex = this.lastIndex;
    this.node.log(
      `raft ${this.node.id} start: term ${this.currentTerm}, snapshot to ${this.snapshotIndex}, log ${this.log.length} entries, variant ${this.opts.variant}`,
    );
    this.resetElectionTimer();
  }

  private persistMeta(): void {
    // The no-persist variant's mistake: term and vote live only in memory.
    if (this.opts.variant === "no-persist") return;
    this.opts.storage.save("meta", { term: this.currentTerm, votedFor: this.votedFor });
  }

  /** A message carried a newer term: adopt it and become a follower [R1]. */
  private stepDown(term: number): void {
    if (term > this.currentTerm) {
      this.currentTerm = term;
      this.votedFor = null;
      this.persistMeta();
    }
    if (this.role !== "follower") this.node.log(`raft: follower in term ${this.currentTerm}`);
    this.role = "follower";
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = undefined;
    // Requests waiting for entries this node appended as leader may still commit under the
    // next leader: their outcome is unknown, so the error is indefinite.
    for (const p of this.pending.values()) {
      p.respond({
        type: "error",
        code: ERRORS.timeout.code,
        text: "leadership lost; outcome unknown",
      });
    }
    this.pending.clear();
    this.resetElectionTimer();
  }

  // ---- leader election [R1] [R3] --------------------------------------------------------

  private resetElectionTimer(): void {
    this.electionTimer?.cancel();
    const [min, max] = this.opts.electionTimeoutMs;
    const ms = min + this.node.clock.random() * (max - min);
    this.electionTimer = this.node.clock.after(ms, () => this.startElection());
  }

  private startElection(): void {
    if (this.role === "leader") return;
    this.currentTerm += 1;
    this.role = "candidate";
    this.leaderId = null;
    this.votedFor = this.node.id;
    this.persistMeta(); // [R7] before asking for votes
    this.votes = new Set([this.node.id]);
    this.node.log(`raft: election for term ${this.currentTerm}`);
    this.resetElectionTimer();
    if (this.votes.size >= this.majority) return this.becomeLeader();
    for (const peer of this.node.peers) {
      this.node.send(peer, {
        type: "request_vote",
        term: this.currentTerm,
        candidate_id: this.node.id,
        last_log_index: this.lastIndex,
        last_log_term: this.termAt(this.lastIndex),
      });
    }
  }

  /** [R3]: is a candidate's log at least as up to date as ours (last term, then length)? */
  private candidateLogUpToDate(lastLogTerm: number, lastLogIndex: number): boolean {
    const myLastTerm = this.termAt(this.lastIndex);
    if (lastLogTerm !== myLastTerm) return lastLogTerm > myLastTerm;
    return lastLogIndex >= this.lastIndex;
  }

  private onRequestVote(msg: Message): void {
    const b = msg.body as Body & {
      term: number;
      candidate_id: string;
      last_log_index: number;
      last_log_term: number;
    };
    if (b.term > this.currentTerm) this.stepDown(b.term);
    // The vote-stale-log variant's mistake: it skips the up-to-date check of [R3].
    const logOk =
      this.opts.variant === "vote-stale-log" ||
      this.candidateLogUpToDate(b.last_log_term, b.last_log_index);
    const granted =
      b.term === this.currentTerm &&
      (this.votedFor === null || this.votedFor === b.candidate_id) &&
      logOk;
    if (granted) {
      this.votedFor = b.candidate_id;
      this.persistMeta(); // [R7] the vote is on disk before the candidate hears of it
      this.resetElectionTimer();
    }
    this.node.reply(msg, {
      type: "request_vote_ok",
      term: this.currentTerm,
      vote_granted: granted,
    });
  }

  private onRequestVoteReply(msg: Message): void {
    const b = msg.body as Body & { term: number; vote_granted: boolean };
    if (b.term > this.currentTerm) return this.stepDown(b.term);
    if (this.role !== "candidate" || b.term !== this.currentTerm || !b.vote_granted) return;
    this.votes.add(msg.src);
    if (this.votes.size >= this.majority) this.becomeLeader();
  }

  private becomeLeader(): void {
    this.role = "leader";
    this.leaderId = this.node.id;
    this.electionTimer?.cancel();
    this.node.log(`raft: leader of term ${this.currentTerm}`);
    for (const peer of this.node.peers) {
      this.nextIndex.set(peer, this.lastIndex + 1);
      this.matchIndex.set(peer, 0);
      this.sentUpTo.set(peer, 0);
      this.lastHeard.set(peer, this.node.clock.now());
    }
    // An entry of the new term, so that entries of earlier terms commit with it [R5].
    this.append({ type: "noop" });
    this.heartbeat();
  }

  private heartbeat(): void {
    if (this.role !== "leader") return;
    // A leader that has not heard from a majority for a whole election timeout steps down:
    // a new leader has probably been elected on the other side. Its clients then get error
    // 11 instead of waiting for entries that cannot commit. (Safety does not depend on it.)
    const now = this.node.clock.now();
    let heard = 1;
    for (const t of this.lastHeard.values()) if (now - t < this.opts.electionTimeoutMs[1]) heard++;
    if (heard < this.majority) {
      this.node.log(
        `raft: no majority heard for ${this.opts.electionTimeoutMs[1]} ms, stepping down`,
      );
      this.leaderId = null;
      return this.stepDown(this.currentTerm);
    }
    for (const peer of this.node.peers) this.sendAppendEntries(peer);
    this.heartbeatTimer = this.node.clock.after(this.opts.heartbeatMs, () => this.heartbeat());
  }

  // ---- log replication [R4] [R5] [R6] ----------------------------------------------------

  /** Leader: append a command of the current term to the own log [R4]; returns its index. */
  private append(command: Command): number {
    this.log.push({ term: this.currentTerm, command });
    this.scheduleFlush();
    return this.lastIndex;
  }

  /** Write the new entries to disk in one fsync, then send them to the followers. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.node.clock.after(0, () => {
      this.flushScheduled = false;
      if (this.persistedIndex < this.lastIndex) {
        this.opts.storage.appendRecords("log", this.stored(this.persistedIndex + 1));
        this.persistedIndex = this.lastIndex;
      }
      if (this.role !== "leader") return;
      this.advanceCommitIndex(); // a single-node cluster commits on its own disk write
      // Send the new entries to peers with nothing in flight; the others get them when
      // their in-flight append is acknowledged (or at the next heartbeat if it was lost).
      for (const peer of this.node.peers) if (this.idle(peer)) this.sendAppendEntries(peer);
    });
  }

  private idle(peer: string): boolean {
    return (this.matchIndex.get(peer) ?? 0) >= (this.sentUpTo.get(peer) ?? 0);
  }

  private sendAppendEntries(peer: string): void {
    const next = this.nextIndex.get(peer) ?? this.lastIndex + 1;
    // The entries it needs are compacted away: it gets the snapshot instead [R8].
    if (next <= this.snapshotIndex) return this.sendSnapshot(peer);
    const prev = next - 1;
    const entries = this.log.slice(
      prev - this.snapshotIndex,
      Math.min(prev + this.opts.maxEntriesPerMessage, this.persistedIndex) - this.snapshotIndex,
    );
    this.sentUpTo.set(peer, prev + entries.length);
    this.node.send(peer, {
      type: "append_entries",
      term: this.currentTerm,
      leader_id: this.node.id,
      prev_log_index: prev,
      prev_log_term: this.termAt(prev),
      entries,
      leader_commit: this.commitIndex,
    });
  }

  private onAppendEntries(msg: Message): void {
    const b = msg.body as Body & {
      term: number;
      leader_id: string;
      prev_log_index: number;
      prev_log_term: number;
      entries: Entry[];
      leader_commit: number;
    };
    const reply = (success: boolean, matchIndex = 0) =>
      this.node.reply(msg, {
        type: "append_entries_ok",
        term: this.currentTerm,
        success,
        match_index: matchIndex,
        last_index: this.lastIndex,
      });
    if (b.term < this.currentTerm) return reply(false); // a deposed leader [R1]
    if (b.term > this.currentTerm || this.role !== "follower") this.stepDown(b.term);
    this.leaderId = b.leader_id;
    this.resetElectionTimer();

    // Entries up to the snapshot are committed, so they are the leader's too: skip them.
    let entries = b.entries;
    let prevIndex = b.prev_log_index;
    let prevTerm = b.prev_log_term;
    if (prevIndex < this.snapshotIndex) {
      const covered = Math.min(entries.length, this.snapshotIndex - prevIndex);
      entries = entries.slice(covered);
      prevIndex += covered;
      prevTerm = covered > 0 ? b.entries[covered - 1]!.term : prevTerm;
      if (prevIndex < this.snapshotIndex) return reply(true, prevIndex); // all already applied
    }
    // Log matching: the entry before the new ones must be the leader's [R6].
    if (prevIndex > this.lastIndex || this.termAt(prevIndex) !== prevTerm) {
      return reply(false);
    }
    // Copy the leader's entries; a conflicting suffix is overwritten by the leader's [R4].
    let index = prevIndex;
    let truncated = false;
    let added = 0;
    for (const entry of entries) {
      index += 1;
      if (index <= this.lastIndex) {
        if (this.termAt(index) === entry.term) continue;
        this.log.length = index - 1 - this.snapshotIndex;
        truncated = true;
      }
      this.log.push(entry);
      added++;
    }
    // [R7] on disk before the ack that lets the leader count this node.
    if (truncated) this.opts.storage.replaceRecords("log", this.stored(this.snapshotIndex + 1));
    else this.opts.storage.appendRecords("log", this.stored(this.lastIndex - added + 1));
    this.persistedIndex = this.lastIndex;

    const matchIndex = b.prev_log_index + b.entries.length;
    if (b.leader_commit > this.commitIndex) {
      this.commitIndex = Math.min(b.leader_commit, matchIndex);
      this.applyCommitted();
    }
    reply(true, matchIndex);
  }

  private onAppendEntriesReply(msg: Message): void {
    const b = msg.body as Body & {
      term: number;
      success: boolean;
      match_index: number;
      last_index: number;
    };
    if (b.term > this.currentTerm) return this.stepDown(b.term);
    if (this.role !== "leader" || b.term !== this.currentTerm) return;
    const peer = msg.src;
    this.lastHeard.set(peer, this.node.clock.now());
    if (b.success) {
      const match = Math.max(this.matchIndex.get(peer) ?? 0, b.match_index);
      this.matchIndex.set(peer, match);
      this.nextIndex.set(peer, match + 1);
      this.advanceCommitIndex();
      if (this.idle(peer) && match < this.persistedIndex) this.sendAppendEntries(peer);
    } else {
      // Walk back towards the point where the logs agree, skipping past the follower's end.
      const next = this.nextIndex.get(peer) ?? this.lastIndex + 1;
      this.nextIndex.set(peer, Math.max(1, Math.min(next - 1, b.last_index + 1)));
      this.sendAppendEntries(peer);
    }
  }

  /** [R5]: commit the highest entry of the current term that a majority holds on disk. */
  private advanceCommitIndex(): void {
    for (let n = this.lastIndex; n > this.commitIndex; n--) {
      if (this.termAt(n) !== this.currentTerm) break; // only current-term entries by count
      let acks = this.persistedIndex >= n ? 1 : 0;
      for (const m of this.matchIndex.values()) if (m >= n) acks++;
      if (acks >= this.majority) {
        this.commitIndex = n; // earlier entries, of any term, commit with it
        this.applyCommitted();
        return;
      }
    }
  }

  /** Apply committed entries in log order; the leader answers the clients waiting on them. */
  private applyCommitted(): void {
    while (this.lastApplied < this.commitIndex) {
      this.lastApplied += 1;
      const entry = this.entryAt(this.lastApplied)!;
      const result = this.kv.apply(entry.command);
      const waiting = this.pending.get(this.lastApplied);
      if (waiting) {
        this.pending.delete(this.lastApplied);
        waiting.respond(
          waiting.term === entry.term
            ? result
            : { type: "error", code: ERRORS.timeout.code, text: "entry replaced; outcome unknown" },
        );
      }
    }
    if (this.lastApplied - this.snapshotIndex >= this.opts.snapshotEvery) this.compact();
  }

  // ---- log compaction [R8] ----------------------------------------------------------------

  /** Entries from `from` to the end, as stored on disk. */
  private stored(from: number): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (let i = Math.max(from, this.snapshotIndex + 1); i <= this.lastIndex; i++) {
      const e = this.entryAt(i)!;
      out.push({ index: i, term: e.term, command: e.command });
    }
    return out;
  }

  /** Replace the applied prefix of the log by a snapshot: snapshot on disk first, then the
   *  shorter log (a crash between the two leaves entries that the next start skips). */
  private compact(): void {
    const index = this.lastApplied;
    const snapshot: Snapshot = { index, term: this.termAt(index), kv: this.kv.entries() };
    this.opts.storage.save("snapshot", snapshot);
    this.log = this.log.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = snapshot.term;
    this.opts.storage.replaceRecords("log", this.stored(index + 1));
    this.node.log(`raft: snapshot to ${index}, ${this.log.length} entries after it`);
  }

  private restoreSnapshot(snapshot: Snapshot): void {
    this.snapshotIndex = snapshot.index;
    this.snapshotTerm = snapshot.term;
    this.kv.restore(snapshot.kv);
    this.commitIndex = Math.max(this.commitIndex, snapshot.index);
    this.lastApplied = snapshot.index;
  }

  /** Leader: a follower needs entries compacted away; it gets the snapshot (on disk) instead. */
  private sendSnapshot(peer: string): void {
    const snapshot = this.opts.storage.load("snapshot") as Snapshot;
    this.sentUpTo.set(peer, snapshot.index);
    this.node.send(peer, {
      type: "install_snapshot",
      term: this.currentTerm,
      leader_id: this.node.id,
      snapshot,
    });
  }

  /** Follower: take a leader's snapshot that goes beyond what this node has applied. */
  private onInstallSnapshot(msg: Message): void {
    const b = msg.body as Body & { term: number; leader_id: string; snapshot: Snapshot };
    const reply = (matchIndex: number) =>
      this.node.reply(msg, {
        type: "append_entries_ok",
        term: this.currentTerm,
        success: true,
        match_index: matchIndex,
        last_index: this.lastIndex,
      });
    if (b.term < this.currentTerm) {
      return this.node.reply(msg, {
        type: "append_entries_ok",
        term: this.currentTerm,
        success: false,
        match_index: 0,
        last_index: this.lastIndex,
      });
    }
    if (b.term > this.currentTerm || this.role !== "follower") this.stepDown(b.term);
    this.leaderId = b.leader_id;
    this.resetElectionTimer();
    const snap = b.snapshot;
    if (snap.index <= this.lastApplied) return reply(snap.index);
    // Keep the entries after the snapshot if the log agrees with it there, else drop the log.
    const keep =
      this.termAt(snap.index) === snap.term ? this.log.slice(snap.index - this.snapshotIndex) : [];
    this.opts.storage.save("snapshot", snap);
    this.restoreSnapshot(snap);
    this.log = keep;
    this.opts.storage.replaceRecords("log", this.stored(snap.index + 1));
    this.persistedIndex = this.lastIndex;
    reply(snap.index);
  }

  // ---- the client side: lin-kv requests, forwarding, role queries -----------------------

  private onClientRequest(msg: Message): void {
    this.handleRequest(msg.body, (body) => this.node.reply(msg, body), true);
  }

  /** Serve a lin-kv request, or forward it to the leader once (never a second hop). */
  private handleRequest(body: Body, respond: (b: Body) => void, mayForward: boolean): void {
    const command = commandOf(body);
    if (!command) {
      return respond({ type: "error", code: ERRORS.notSupported.code, text: body.type });
    }
    // The local-read variant's mistake: a read served from local state, without asking
    // anyone whether this node still leads (a follower's or deposed leader's state is stale).
    if (this.opts.variant === "local-read" && command.type === "read") {
      return respond(this.kv.read(command.key));
    }
    if (this.role === "leader") {
      const index = this.append(command);
      this.pending.set(index, { term: this.currentTerm, respond });
      return;
    }
    if (mayForward && this.leaderId && this.leaderId !== this.node.id) {
      return this.forward(this.leaderId, body, respond);
    }
    respond({
      type: "error",
      code: ERRORS.temporarilyUnavailable.code,
      text: "not the leader, and no leader known",
    });
  }

  private forward(leader: string, body: Body, respond: (b: Body) => void): void {
    forwardRequest(this.node, leader, body, this.opts.forwardTimeoutMs, respond);
  }

  private onForward(msg: Message): void {
    this.handleRequest(forwardedRequest(msg), (body) => this.node.reply(msg, body), false);
  }

  /** Whether this node thinks it leads (used by Target.leader and the harness). */
  private onRole(msg: Message): void {
    this.node.reply(msg, {
      type: "role_ok",
      role: this.role,
      term: this.currentTerm,
      leader: this.leaderId,
      commit_index: this.commitIndex,
      last_index: this.lastIndex,
    });
  }
}
