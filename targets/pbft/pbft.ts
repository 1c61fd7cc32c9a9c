// Practical Byzantine Fault Tolerance as the source material gives it (lecture notes,
// "Practical Byzantine Fault Tolerance (PBFT)" through "PBFT: when the primary fails"), as a
// lin-kv service. The rules, quoted or paraphrased from the notes, are cited as [B1]..[B9];
// [B10] and [B11] come from PBFT as published (Castro and Liskov), which the notes leave out
// but a long run needs:
//
//   [B1] "A primary-backup approach with 3k+1 replica servers"; "a server may exhibit
//        arbitrary failures"; "messages may be lost, delayed, and received out of order".
//   [B2] "Messages have an identifiable sender (i.e., they are signed)": every protocol
//        message is signed (crypto.ts); one that does not verify, or names another sender
//        than the one it came from, is dropped.
//   [B3] "All servers assume to be working in a current view v. C requests operation o to be
//        executed. P timestamps o and sends PRE-PREPARE(t, v, o)": the primary of view v
//        (replica v mod n) gives each request the next sequence number.
//   [B4] "Backup Bi accepts the pre-prepare message if it is also in v and has not accepted an
//        operation with timestamp t before" (accepted PRE-PREPAREs are on disk [B11]).
//   [B5] "Bi broadcasts PREPARE(t, v, o) to all (including the primary)"; "a nonfaulty server
//        will eventually log 2k messages PREPARE(t, v, o) (including its own) => consensus on
//        the ordering of o": the PRE-PREPARE and 2k matching PREPAREs are the prepared
//        certificate of o at t.
//   [B6] "All servers broadcast COMMIT(t, v, o)" once prepared; "when 2k messages have been
//        collected, excluding its own, the server can safely execute o and reply to the
//        client". Execution is in sequence order.
//   [B7] "When a backup detects the primary failed, it will broadcast a view change to view
//        v+1"; "the next primary P* is known deterministically". Detection is a timer on
//        pending requests ("partially synchronous execution model"); a replica that sees k+1
//        replicas ask for a later view joins them (one of them is nonfaulty).
//   [B8] "A backup server broadcasts VIEW-CHANGE(v+1, P): P is the set of prepares it had
//        sent out. P* waits for 2k+1 view-change messages ... P* sends out NEW-VIEW(v+1, X, O)
//        with O a new set of pre-prepare messages": P is the backup's prepared certificates;
//        O re-proposes, for every sequence number some certificate names, the request of the
//        certificate from the highest view (null where there is none), so "any outstanding
//        request is executed once and only once by all nonfaulty servers". Backups check
//        NEW-VIEW by computing O again from the VIEW-CHANGEs it carries.
//   [B9] Requests are signed by the replica a client asked; that replica relays them to all,
//        answers its client once it has executed the request itself, and sends them again
//        while they are pending (a lost request, a new primary).
//  [B10] Checkpoints: every `checkpointInterval` executions a replica signs the state's hash;
//        2k+1 matching ones make it stable. VIEW-CHANGEs carry only certificates after the
//        stable checkpoint, the primary numbers at most `window` past it, and a replica that
//        is behind a stable checkpoint fetches the executed requests up to it from a peer,
//        checking them against the checkpoint's hash (state transfer).
//  [B11] Crash and restart: the view, accepted PRE-PREPAREs and prepared certificates are on
//        disk before the PREPARE or COMMIT that depends on them; executed requests are
//        written in batches (a lost tail is fetched again [B10]).
//
// Clients: a client of ours talks to one replica, which answers once it executed the request
// locally. (The source's client waits for k+1 matching replies from different replicas; a
// single traitor can answer its own clients wrongly here, and the checkers judge only the
// nonfaulty replicas.) Reads are ordered like writes: linearizable.
import { ERRORS } from "../host/errors.ts";
import type { Storage } from "../lib/durable.ts";
import type { Body, Message, Node, Timer } from "../lib/node.ts";
import { KvStore, commandOf } from "../raft/kv.ts";
import type { Command } from "../raft/kv.ts";
import type { Signer } from "./crypto.ts";
import {
  Quorums,
  chainHash,
  reproposals,
  batchDigest,
  type Certificate,
  type Checkpoint,
  type Commit,
  type NewView,
  type PrePrepare,
  type Prepare,
  type Request,
  type Sealed,
  type StableCheckpoint,
  type ViewChange,
} from "./messages.ts";
import type { Variant } from "./variants.ts";

export interface PbftOptions {
  variant: Variant;
  storage: Storage;
  /** The signer of this replica, given its id and every replica's [B2]. */
  signer(self: string, ids: string[]): Signer;
  /** A request pending this long makes a backup suspect the primary [B7]. */
  requestTimeoutMs: number;
  /** How often a replica tells the others its view and progress (catching up [B10]). */
  statusMs: number;
  /** A pending request (at its origin) or an unexecuted PRE-PREPARE (at the primary) is sent
   *  again after this long [B9]. */
  resendMs: number;
  checkpointInterval: number;
  /** The primary numbers at most this far past the stable checkpoint [B10]. */
  window: number;
  /** The primary orders at most this many requests in one sequence number ... */
  maxBatch: number;
  /** ... and has at most this many sequence numbers not yet executed. */
  maxInFlight: number;
  maxEntriesPerMessage: number;
  executedFlushMs: number;
}

export const DEFAULT_OPTIONS: Omit<PbftOptions, "variant" | "storage" | "signer"> = {
  requestTimeoutMs: 1500,
  statusMs: 250,
  resendMs: 500,
  checkpointInterval: 8,
  window: 16,
  maxBatch: 16,
  maxInFlight: 2,
  maxEntriesPerMessage: 20,
  executedFlushMs: 50,
};

type Respond = (body: Body) => void;

/** What one sequence number of the current view has gathered. */
interface Slot {
  pp?: PrePrepare;
  prepares: Map<string, Prepare>;
  commits: Map<string, Commit>;
  prepared: boolean;
  committed: boolean;
  sentAt: number;
}

/** One executed sequence number, as kept on disk and sent to a replica catching up. */
interface Executed {
  n: number;
  reqs: Request[];
}

/** A PRE-PREPARE and 2k+1 matching COMMITs: proof that its sequence number committed. */
interface CommitProof {
  pp: PrePrepare;
  commits: Commit[];
}

type Record = { kind: "pp"; pp: PrePrepare } | { kind: "cert"; cert: Certificate };

export class Pbft {
  view = 0;
  /** True from sending VIEW-CHANGE(view) until NEW-VIEW(view) arrives. */
  changing = false;
  readonly kv = new KvStore();
  /** executedLog[i] describes what sequence number i + 1 executed. */
  readonly executedLog: string[] = [];
  private executedReqs: Request[][] = [];
  /** hashes[n]: the state hash after executing n [B10]. */
  private hashes: string[] = [""];
  private executedIds = new Set<string>();
  stable: StableCheckpoint = { n: 0, h: "", proof: [] };

  private q!: Quorums;
  private slots = new Map<number, Slot>();
  /** The latest prepared certificate of each sequence number after the stable checkpoint. */
  private certs = new Map<number, Certificate>();
  private checkpointVotes = new Map<number, Map<string, Checkpoint>>();
  /** Requests known and not executed, with when this replica first saw them [B7]. */
  private pending = new Map<string, { req: Request; since: number; relayedAt?: number }>();
  private ownCheckpoint: Checkpoint | undefined;
  /** Requests of this replica's own clients, answered once executed here [B9]. */
  private waiting = new Map<string, { respond: Respond; req: Request; sentAt: number }>();
  private nextRequest = 1;
  private boot = "";

  // Primary state.
  private nextSeq = 1;
  private assigned = new Set<string>();

  // View changes.
  private viewChanges = new Map<number, Map<string, ViewChange>>();
  private ownViewChange: ViewChange | undefined;
  private viewChangeSentAt = 0;
  private earlyMessages: (PrePrepare | Prepare | Commit)[] = [];
  private unsavedLog: Record[] = [];
  private outbox: Body[] = [];
  private flushScheduled = false;
  private lastNewView: NewView | undefined;
  private failedViewChanges = 0;
  private viewTimer: Timer | undefined;
  private requestTimer: Timer | undefined;

  // Catching up [B10].
  private catchUpInFlight = false;
  /** The COMMITs that executed each sequence number after the stable checkpoint. */
  private commitProofs = new Map<number, CommitProof>();
  /** What each peer last said it executed, and when this replica last executed anything. */
  private peerExecuted = new Map<string, number>();
  private lastProgressAt = 0;
  private fetched = new Map<number, Executed>();
  private askedNewViewAt = -Infinity;
  private unsavedExecuted: Executed[] = [];

  constructor(
    readonly node: Node,
    readonly opts: PbftOptions,
  ) {
    node.onInit(() => this.start());
    node.on("request", (m) => this.fromPeer(m, () => this.onRequest(m.body)));
    node.on("pre_prepare", (m) => this.fromPeer(m, () => this.onPrePrepare(m.body)));
    node.on("prepare", (m) => this.fromPeer(m, () => this.onPrepare(m.body)));
    node.on("commit", (m) => this.fromPeer(m, () => this.onCommit(m.body)));
    node.on("checkpoint", (m) => this.fromPeer(m, () => this.onCheckpoint(m.body)));
    node.on("view_change", (m) => this.fromPeer(m, () => this.onViewChange(m.body)));
    node.on("new_view", (m) => this.fromPeer(m, () => this.onNewView(m.body)));
    node.on("new_view_is", (m) => this.onNewView(m.body.nv));
    node.on("get_new_view", (m) => this.onGetNewView(m));
    node.on("status", (m) => this.onStatus(m));
    node.on("catch_up", (m) => this.onCatchUp(m));
    for (const type of ["read", "write", "cas"]) node.on(type, (m) => this.onClientRequest(m));
    node.on("executed_log", (m) =>
      this.node.reply(m, { type: "executed_log_ok", log: this.executedLog }),
    );
    node.on("role", (m) => this.onRole(m));
  }

  get executed(): number {
    return this.executedLog.length;
  }

  get isPrimary(): boolean {
    return !this.changing && this.q.primaryOf(this.view) === this.node.id;
  }

  private get k(): number {
    return this.q.k;
  }

  // ---- start and recovery [B11] ----------------------------------------------------------

  private start(): void {
    this.q = new Quorums(this.node.nodeIds, this.opts.signer(this.node.id, this.node.nodeIds));
    this.boot = Math.floor(this.node.clock.random() * 36 ** 6).toString(36);
    const saved = this.opts.storage.load("view") as { view: number; changing: boolean } | undefined;
    if (saved) {
      this.view = saved.view;
      this.changing = saved.changing;
    }
    const stable = this.opts.storage.load("stable") as StableCheckpoint | undefined;
    for (const r of this.opts.storage.readRecords("executed") as Executed[]) {
      if (r.n !== this.executed + 1) break;
      this.apply(r.n, r.reqs);
    }
    if (stable && this.q.validStable(stable)) this.stable = stable;
    for (const r of this.opts.storage.readRecords("log") as Record[]) {
      if (r.kind === "cert") {
        const seen = this.certs.get(r.cert.pp.n);
        if (!seen || seen.pp.v <= r.cert.pp.v) this.certs.set(r.cert.pp.n, r.cert);
      } else if (r.pp.v === this.view && !this.changing) {
        this.slot(r.pp.n).pp = r.pp;
        this.nextSeq = Math.max(this.nextSeq, r.pp.n + 1);
      }
    }
    for (const [n, c] of this.certs) {
      if (n <= this.stable.n) this.certs.delete(n);
      else if (c.pp.v === this.view && this.slots.get(n)?.pp?.d === c.pp.d)
        this.slot(n).prepared = true;
    }
    this.nextSeq = Math.max(this.nextSeq, this.stable.n + 1, this.executed + 1);
    this.node.log(
      `pbft ${this.node.id} start: view ${this.view}${this.changing ? " (changing)" : ""}, ${this.executed} executed, stable ${this.stable.n}, k=${this.k}, variant ${this.opts.variant}`,
    );
    if (this.changing) this.sendViewChange();
    this.tick();
  }

  private saveView(): void {
    this.opts.storage.save("view", { view: this.view, changing: this.changing });
  }

  // ---- authentication [B2] --------------------------------------------------------------

  /** A signed message straight from a peer: it must be signed by the peer it came from. */
  private fromPeer(msg: Message, handle: () => void): void {
    const b = msg.body as Body & { from?: unknown };
    if (b.from !== msg.src || !this.q.authentic(b, b.type)) return;
    handle();
  }

  /** To every other replica [B5] [B6], once what it depends on is on disk. */
  private broadcast(m: Sealed | Body): void {
    this.outbox.push(m as unknown as Body);
    this.scheduleFlush();
  }

  /** Keep a record on disk before anything sent after it leaves [B11]. */
  private persist(r: Record): void {
    this.unsavedLog.push(r);
    this.scheduleFlush();
  }

  /** What one burst of incoming messages produced: its records in one write (one fsync),
   *  then its messages. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.node.clock.after(0, () => {
      this.flushScheduled = false;
      if (this.unsavedLog.length > 0) {
        this.opts.storage.appendRecords("log", this.unsavedLog);
        this.unsavedLog = [];
      }
      const out = this.outbox;
      this.outbox = [];
      for (const body of out) for (const peer of this.node.peers) this.node.send(peer, body);
    });
  }

  // ---- requests [B3] [B9] -----------------------------------------------------------------

  private onClientRequest(msg: Message): void {
    const op = commandOf(msg.body);
    if (!op) return this.node.error(msg, ERRORS.notSupported, msg.body.type);
    const id = `${this.node.id}:${this.boot}:${this.nextRequest++}`;
    const req = this.q.seal<Request>({ type: "request", id, from: this.node.id, op });
    const respond: Respond = (body) => this.node.reply(msg, body);
    this.waiting.set(id, { respond, req, sentAt: this.node.clock.now() });
    this.broadcast(req);
    this.onRequest(req);
  }

  private onRequest(body: unknown): void {
    if (!this.q.validRequest(body)) return;
    const req = body;
    if (this.executedIds.has(req.id)) return;
    if (!this.pending.has(req.id)) this.pending.set(req.id, { req, since: this.node.clock.now() });
    this.armRequestTimer();
    this.assignPending();
  }

  /** Primary: the next sequence numbers for the pending requests not yet assigned, in batches
   *  [B3], with at most `maxInFlight` sequence numbers not yet executed here, and within the
   *  window [B10]. Requests that wait while earlier batches are ordered go in the next batch
   *  together: one PRE-PREPARE and one round of signatures for all of them. */
  private assignPending(): void {
    if (!this.isPrimary) return;
    for (;;) {
      if (this.nextSeq > this.stable.n + this.opts.window) return; // assigned once it moves
      if (this.nextSeq - 1 - this.executed >= this.opts.maxInFlight) return;
      const reqs: Request[] = [];
      for (const { req } of this.pending.values()) {
        if (this.assigned.has(req.id) || this.executedIds.has(req.id)) continue;
        reqs.push(req);
        if (reqs.length >= this.opts.maxBatch) break;
      }
      if (reqs.length === 0) return;
      const n = this.nextSeq++;
      for (const r of reqs) this.assigned.add(r.id);
      const pp = this.q.seal<PrePrepare>({
        type: "pre_prepare",
        v: this.view,
        n,
        d: batchDigest(reqs),
        reqs,
        from: this.node.id,
      });
      this.acceptPrePrepare(pp);
      this.broadcast(pp);
    }
  }

  // ---- PRE-PREPARE, PREPARE, COMMIT [B3]-[B6] -------------------------------------------

  private slot(n: number): Slot {
    let s = this.slots.get(n);
    if (!s) {
      s = {
        prepares: new Map(),
        commits: new Map(),
        prepared: false,
        committed: false,
        sentAt: this.node.clock.now(),
      };
      this.slots.set(n, s);
    }
    return s;
  }

  private onPrePrepare(body: unknown): void {
    if (!this.q.validPrePrepare(body)) return;
    const pp = body;
    // [B4] in the same view, within the window, and no other request accepted at n.
    if (this.early(pp)) return;
    if (pp.v !== this.view || this.changing) return;
    if (pp.n <= this.stable.n || pp.n > this.stable.n + 2 * this.opts.window) return;
    const s = this.slot(pp.n);
    if (s.pp) {
      // The same PRE-PREPARE again: the primary resends what is not executed; say again what
      // this replica said, in case it was lost.
      if (s.pp.d === pp.d) this.resendVotes(pp.n, s);
      return;
    }
    this.acceptPrePrepare(pp);
  }

  /** Log a PRE-PREPARE (on disk [B11]); a backup broadcasts its PREPARE [B5]. */
  private acceptPrePrepare(pp: PrePrepare): void {
    const s = this.slot(pp.n);
    s.pp = pp;
    s.sentAt = this.node.clock.now();
    this.persist({ kind: "pp", pp });
    for (const req of pp.reqs) {
      if (this.executedIds.has(req.id) || this.pending.has(req.id)) continue;
      this.pending.set(req.id, { req, since: this.node.clock.now() });
      this.armRequestTimer();
    }
    if (pp.from !== this.node.id) {
      const prepare = this.q.seal<Prepare>({
        type: "prepare",
        v: pp.v,
        n: pp.n,
        d: pp.d,
        from: this.node.id,
      });
      s.prepares.set(this.node.id, prepare);
      this.broadcast(prepare);
    }
    this.checkPrepared(pp.n);
  }

  /** A message of a view this replica has not entered yet (its NEW-VIEW is on the way): kept
   *  and handled once it enters that view. */
  private early(m: PrePrepare | Prepare | Commit): boolean {
    if (!(m.v > this.view || (m.v === this.view && this.changing))) return false;
    if (this.earlyMessages.length < 5000) this.earlyMessages.push(m);
    return true;
  }

  private resendVotes(n: number, s: Slot): void {
    const mine = [s.prepares.get(this.node.id), s.commits.get(this.node.id)];
    for (const m of mine) if (m) this.broadcast(m);
  }

  private onPrepare(body: unknown): void {
    const p = body as Prepare;
    if (this.early(p)) return;
    if (p.v !== this.view || this.changing || p.n <= this.stable.n) return;
    if (p.from === this.q.primaryOf(p.v)) return; // the primary's PRE-PREPARE is its vote
    this.slot(p.n).prepares.set(p.from, p);
    this.checkPrepared(p.n);
  }

  /** [B5] prepared: the PRE-PREPARE and 2k matching PREPAREs; keep the certificate (on disk
   *  [B11]) and broadcast COMMIT [B6]. */
  private checkPrepared(n: number): void {
    const s = this.slots.get(n);
    if (!s?.pp || s.prepared) return;
    const matching = [...s.prepares.values()].filter((p) => p.d === s.pp!.d);
    // The few-prepares variant's mistake: k PREPAREs (a backup's own, at k = 1) are enough.
    const need = this.opts.variant === "few-prepares" ? this.k : 2 * this.k;
    if (matching.length < need) return;
    s.prepared = true;
    const cert: Certificate = { pp: s.pp, prepares: matching };
    this.certs.set(n, cert);
    this.persist({ kind: "cert", cert });
    const commit = this.q.seal<Commit>({
      type: "commit",
      v: s.pp.v,
      n,
      d: s.pp.d,
      from: this.node.id,
    });
    s.commits.set(this.node.id, commit);
    this.broadcast(commit);
    this.checkCommitted(n);
  }

  private onCommit(body: unknown): void {
    const c = body as Commit;
    if (this.early(c)) return;
    if (c.v !== this.view || this.changing || c.n <= this.stable.n) return;
    this.slot(c.n).commits.set(c.from, c);
    this.checkCommitted(c.n);
  }

  /** [B6] committed: prepared here, and 2k+1 matching COMMITs, this replica's included. */
  private checkCommitted(n: number): void {
    const s = this.slots.get(n);
    if (!s?.pp || !s.prepared || s.committed) return;
    let matching = 0;
    for (const c of s.commits.values()) if (c.d === s.pp.d) matching++;
    if (matching < 2 * this.k + 1) return;
    s.committed = true;
    this.executeReady();
  }

  /** Execute committed sequence numbers in order [B6]. */
  private executeReady(): void {
    for (;;) {
      const n = this.executed + 1;
      const s = this.slots.get(n);
      if (!s?.committed) break;
      const commits = [...s.commits.values()].filter((c) => c.d === s.pp!.d);
      this.execute(n, s.pp!.reqs, { pp: s.pp!, commits });
    }
  }

  private execute(n: number, reqs: Request[], proof?: CommitProof): void {
    const results = this.apply(n, reqs);
    this.lastProgressAt = this.node.clock.now();
    if (proof) this.commitProofs.set(n, proof);
    this.unsavedExecuted.push({ n, reqs });
    if (this.unsavedExecuted.length === 1) {
      this.node.clock.after(this.opts.executedFlushMs, () => {
        this.opts.storage.appendRecords("executed", this.unsavedExecuted);
        this.unsavedExecuted = [];
      });
    }
    for (const req of reqs) {
      this.pending.delete(req.id);
      const w = this.waiting.get(req.id);
      const result = results.get(req.id);
      if (w && result) {
        this.waiting.delete(req.id);
        w.respond(result);
      }
    }
    this.assignPending(); // one fewer in flight
    // Progress: the primary is not (yet) suspected for what is still pending [B7].
    this.restartRequestTimer();
    if (n % this.opts.checkpointInterval === 0) {
      const cp = this.q.seal<Checkpoint>({
        type: "checkpoint",
        n,
        h: this.hashes[n]!,
        from: this.node.id,
      });
      this.ownCheckpoint = cp;
      this.broadcast(cp);
      this.onCheckpoint(cp);
    }
  }

  /** The state machine step: a request executes once, whatever sequence numbers it got. */
  private apply(n: number, reqs: Request[]): Map<string, Body> {
    const results = new Map<string, Body>();
    for (const req of reqs) {
      if (this.executedIds.has(req.id)) continue;
      results.set(req.id, this.kv.apply(req.op));
      this.executedIds.add(req.id);
    }
    this.executedLog.push(
      reqs.length > 0 ? reqs.map((r) => `${r.id} ${describe(r.op)}`).join("; ") : "null",
    );
    this.executedReqs.push(reqs);
    this.hashes.push(chainHash(this.hashes[n - 1]!, n, batchDigest(reqs)));
    return results;
  }

  // ---- checkpoints and catching up [B10] --------------------------------------------------

  private onCheckpoint(body: unknown): void {
    const c = body as Checkpoint;
    if (!Number.isInteger(c.n) || c.n <= this.stable.n) return;
    let votes = this.checkpointVotes.get(c.n);
    if (!votes) this.checkpointVotes.set(c.n, (votes = new Map()));
    votes.set(c.from, c);
    const proof = [...votes.values()].filter((v) => v.h === c.h);
    if (proof.length < 2 * this.k + 1) return;
    this.adoptStable({ n: c.n, h: c.h, proof });
    if (this.executed < c.n && c.from !== this.node.id) this.catchUp(c.from);
  }

  private adoptStable(cp: StableCheckpoint): void {
    if (cp.n <= this.stable.n) return;
    this.stable = cp;
    this.opts.storage.save("stable", cp);
    for (const n of this.certs.keys()) if (n <= cp.n) this.certs.delete(n);
    for (const n of this.commitProofs.keys()) if (n <= cp.n) this.commitProofs.delete(n);
    for (const n of this.slots.keys()) if (n <= cp.n && n <= this.executed) this.slots.delete(n);
    for (const n of this.checkpointVotes.keys()) if (n <= cp.n) this.checkpointVotes.delete(n);
    this.nextSeq = Math.max(this.nextSeq, cp.n + 1);
    this.assignPending(); // the window moved
  }

  /** Periodic: progress to the others, requests and PRE-PREPAREs sent again [B9]. */
  private tick(): void {
    const now = this.node.clock.now();
    const status = {
      type: "status",
      v: this.view,
      changing: this.changing,
      executed: this.executed,
      stable: this.stable.n,
    };
    this.broadcast(status);
    for (const w of this.waiting.values()) {
      if (this.executedIds.has(w.req.id) || now - w.sentAt < this.opts.resendMs) continue;
      w.sentAt = now;
      this.broadcast(w.req);
    }
    // A backup hands requests pending for a while to the primary: their origin may have
    // crashed before the primary got them. And a checkpoint not yet stable is said again.
    if (!this.changing && !this.isPrimary) {
      const primary = this.q.primaryOf(this.view);
      for (const p of this.pending.values()) {
        if (now - p.since < this.opts.resendMs || (p.relayedAt ?? 0) > now - this.opts.resendMs)
          continue;
        p.relayedAt = now;
        this.node.send(primary, p.req as unknown as Body);
      }
    }
    if (this.ownCheckpoint && this.ownCheckpoint.n > this.stable.n)
      this.broadcast(this.ownCheckpoint);
    // Stuck behind the others (it missed COMMITs, or restarted): fetch what they executed. Not
    // during a view change: what follows the stable checkpoint is the new view's to settle.
    // (Status is unsigned: only what k+1 peers claim, so one of them nonfaulty, is believed.)
    if (!this.changing && now - this.lastProgressAt > 2 * this.opts.statusMs) {
      const claims = [...this.peerExecuted.values()].sort((a, b) => b - a);
      const believed = claims[this.k] ?? 0;
      const ahead = [...this.peerExecuted].filter(([, n]) => n >= believed).map(([p]) => p);
      if (believed > this.executed && ahead.length > 0)
        this.catchUp(ahead[Math.floor(this.node.clock.random() * ahead.length)]!, true);
    }
    // A VIEW-CHANGE may have been lost, or sent while this replica was cut off.
    if (
      this.changing &&
      this.ownViewChange &&
      now - this.viewChangeSentAt >= 2 * this.opts.resendMs
    ) {
      this.viewChangeSentAt = now;
      this.broadcast(this.ownViewChange);
    }
    if (this.isPrimary) {
      for (const [n, s] of this.slots) {
        if (!s.pp || n <= this.executed || now - s.sentAt < this.opts.resendMs) continue;
        s.sentAt = now;
        this.broadcast(s.pp);
      }
    }
    this.node.clock.after(this.opts.statusMs, () => this.tick());
  }

  private onStatus(msg: Message): void {
    const b = msg.body as Body & {
      v: number;
      changing: boolean;
      executed: number;
      stable: number;
    };
    if (Number.isInteger(b.executed)) this.peerExecuted.set(msg.src, b.executed);
    if (b.stable > this.executed) this.catchUp(msg.src, !this.changing);
    const ahead = b.v > this.view || (b.v === this.view && this.changing && !b.changing);
    const now = this.node.clock.now();
    if (ahead && !b.changing && now - this.askedNewViewAt > this.opts.resendMs) {
      this.askedNewViewAt = now;
      this.node.send(msg.src, { type: "get_new_view" });
    }
  }

  /** Ask `peer` for the executed requests up to its stable checkpoint, and with `committed`
   *  those after it too, each with the 2k+1 COMMITs that let it execute. */
  private catchUp(peer: string, committed = false): void {
    if (this.catchUpInFlight) return;
    this.catchUpInFlight = true;
    const from = Math.max(this.executed, ...this.fetched.keys()) + 1;
    this.node.request(peer, { type: "catch_up", from, committed }, 1000, (reply) => {
      this.catchUpInFlight = false;
      if (reply?.type !== "caught_up") return;
      this.onCaughtUp(reply.cp, reply.entries as Executed[], peer);
      if (Array.isArray(reply.committed)) this.onCommitted(reply.committed as CommitProof[]);
    });
  }

  private onCatchUp(msg: Message): void {
    const from = Math.max(1, Number(msg.body.from));
    const max = this.opts.maxEntriesPerMessage;
    const upTo = Math.min(this.stable.n, this.executed, from - 1 + max);
    const entries: Executed[] = [];
    for (let n = from; n <= upTo; n++) entries.push({ n, reqs: this.executedReqs[n - 1]! });
    const committed: CommitProof[] = [];
    if (msg.body.committed === true)
      for (let n = Math.max(from, this.stable.n + 1); n <= this.executed; n++) {
        const proof = this.commitProofs.get(n);
        if (!proof || committed.length >= max / 2) break;
        committed.push(proof);
      }
    this.node.reply(msg, { type: "caught_up", cp: this.stable, entries, committed });
  }

  /** Executed requests from a peer: kept until they reach a stable checkpoint whose hash they
   *  reproduce, then executed; anything else is dropped. */
  private onCaughtUp(cpBody: unknown, entries: Executed[], peer: string): void {
    if (!this.q.validStable(cpBody) || !Array.isArray(entries)) return;
    const cp = cpBody;
    if (cp.n <= this.executed) return;
    for (const e of entries) {
      if (!Number.isInteger(e?.n) || e.n <= this.executed || e.n > cp.n) continue;
      if (!Array.isArray(e.reqs) || !e.reqs.every((r) => this.q.validRequest(r))) continue;
      this.fetched.set(e.n, e);
    }
    let h = this.hashes[this.executed]!;
    for (let n = this.executed + 1; n <= cp.n; n++) {
      const e = this.fetched.get(n);
      if (!e) return this.catchUp(peer); // the next chunk
      h = chainHash(h, n, batchDigest(e.reqs));
    }
    if (h !== cp.h) {
      this.fetched.clear();
      return;
    }
    for (let n = this.executed + 1; n <= cp.n; n++) this.execute(n, this.fetched.get(n)!.reqs);
    this.fetched.clear();
    this.adoptStable(cp);
    this.executeReady();
  }

  /** Sequence numbers after the stable checkpoint, each proven committed by 2k+1 matching
   *  COMMITs (k+1 of them nonfaulty replicas that prepared it [B6]): executed in order. */
  private onCommitted(proofs: CommitProof[]): void {
    const byN = new Map<number, CommitProof>();
    for (const p of proofs) if (Number.isInteger(p?.pp?.n)) byN.set(p.pp.n, p);
    for (;;) {
      const proof = byN.get(this.executed + 1);
      if (!proof || !this.validCommitProof(proof)) return;
      this.execute(proof.pp.n, proof.pp.reqs, proof);
    }
  }

  private validCommitProof(proof: CommitProof): boolean {
    const { pp, commits } = proof;
    if (!this.q.validPrePrepare(pp) || !Array.isArray(commits)) return false;
    const from = new Set<string>();
    for (const c of commits)
      if (this.q.authentic(c, "commit") && c.v === pp.v && c.n === pp.n && c.d === pp.d)
        from.add(c.from);
    return from.size >= 2 * this.k + 1;
  }

  // ---- view changes [B7] [B8] -------------------------------------------------------------

  private armRequestTimer(): void {
    if (this.requestTimer || this.changing || this.pending.size === 0) return;
    this.requestTimer = this.afterPendingMessages(this.opts.requestTimeoutMs, () => {
      this.requestTimer = undefined;
      if (this.changing || this.pending.size === 0) return;
      const now = this.node.clock.now();
      const oldest = Math.min(...[...this.pending.values()].map((p) => p.since));
      if (now - oldest >= this.opts.requestTimeoutMs) {
        this.node.log(`pbft: ${this.pending.size} requests pending too long; view change`);
        this.startViewChange(this.view + 1);
      } else this.armRequestTimer();
    });
  }

  private restartRequestTimer(): void {
    this.requestTimer?.cancel();
    this.requestTimer = undefined;
    const now = this.node.clock.now();
    for (const p of this.pending.values()) p.since = Math.max(p.since, now - 1);
    this.armRequestTimer();
  }

  /** A timer for a suspicion that runs only after the messages that arrived meanwhile were
   *  handled (a replica starved of CPU otherwise wakes with it due before the messages that
   *  would have cancelled it). */
  private afterPendingMessages(ms: number, fn: () => void): Timer {
    let current: Timer;
    const outer = this.node.clock.after(ms, () => (current = this.node.clock.after(0, fn)));
    current = outer;
    return { cancel: () => current.cancel() };
  }

  /** Stop taking part in the current view and ask for `v` [B7] [B8]. */
  private startViewChange(v: number): void {
    if (v < this.view || (v === this.view && this.changing)) return;
    this.view = v;
    this.changing = true;
    this.saveView();
    this.requestTimer?.cancel();
    this.requestTimer = undefined;
    this.viewTimer?.cancel();
    this.viewTimer = undefined;
    this.slots.clear();
    this.assigned.clear();
    this.node.log(`pbft: view change to ${v}`);
    this.sendViewChange();
  }

  private sendViewChange(): void {
    const P = [...this.certs.values()].filter((c) => c.pp.n > this.stable.n);
    this.ownViewChange = this.q.seal<ViewChange>({
      type: "view_change",
      v: this.view,
      cp: this.stable,
      P,
      from: this.node.id,
    });
    this.viewChangeSentAt = this.node.clock.now();
    this.broadcast(this.ownViewChange);
    this.onViewChange(this.ownViewChange);
  }

  private onViewChange(body: unknown): void {
    const vc = this.q.validViewChange(body);
    if (!vc || vc.v < this.view || (vc.v === this.view && !this.changing)) return;
    let forView = this.viewChanges.get(vc.v);
    if (!forView) this.viewChanges.set(vc.v, (forView = new Map()));
    forView.set(vc.from, vc);
    // k+1 replicas ask for later views: one of them is nonfaulty, join the smallest [B7].
    const later = new Map<string, number>();
    for (const [v, m] of this.viewChanges)
      if (v > this.view)
        for (const from of m.keys()) later.set(from, Math.min(later.get(from) ?? v, v));
    if (later.size >= this.k + 1) this.startViewChange(Math.min(...later.values()));
    if (!this.changing) return;
    const count = this.viewChangesFor(this.view);
    if (count >= 2 * this.k + 1) {
      // The new primary has what it needs; give it time, then try the next view [B7].
      if (!this.viewTimer) {
        const ms = this.opts.requestTimeoutMs * 2 ** Math.min(this.failedViewChanges, 4);
        const v = this.view;
        this.viewTimer = this.afterPendingMessages(ms, () => {
          this.viewTimer = undefined;
          if (this.changing && this.view === v) {
            this.failedViewChanges++;
            this.startViewChange(v + 1);
          }
        });
      }
      if (this.q.primaryOf(this.view) === this.node.id) this.sendNewView();
    }
  }

  private viewChangesFor(v: number): number {
    return this.viewChanges.get(v)?.size ?? 0;
  }

  /** The new primary: NEW-VIEW with 2k+1 VIEW-CHANGEs and the PRE-PREPAREs of O [B8]. */
  private sendNewView(): void {
    const all = [...(this.viewChanges.get(this.view)?.values() ?? [])];
    const own = all.find((vc) => vc.from === this.node.id);
    if (!own) return;
    const V = [own, ...all.filter((vc) => vc !== own)].slice(0, 2 * this.k + 1);
    const { entries } = reproposals(V, this.opts.variant === "ignore-certificates");
    const O = entries.map((e) =>
      this.q.seal<PrePrepare>({
        type: "pre_prepare",
        v: this.view,
        n: e.n,
        d: batchDigest(e.reqs),
        reqs: e.reqs,
        from: this.node.id,
      }),
    );
    const nv = this.q.seal<NewView>({ type: "new_view", v: this.view, V, O, from: this.node.id });
    this.broadcast(nv);
    this.enterView(nv);
  }

  /** A NEW-VIEW is believed when its 2k+1 VIEW-CHANGEs hold up and O is what they imply. */
  private onNewView(body: unknown): void {
    if (!this.q.authentic(body, "new_view")) return;
    const nv = body as NewView;
    if (!Number.isInteger(nv.v) || nv.from !== this.q.primaryOf(nv.v)) return;
    if (nv.v < this.view || (nv.v === this.view && !this.changing)) return;
    if (!Array.isArray(nv.V) || !Array.isArray(nv.O)) return;
    const V: ViewChange[] = [];
    const from = new Set<string>();
    for (const m of nv.V) {
      const vc = this.q.validViewChange(m);
      if (vc && vc.v === nv.v && !from.has(vc.from)) {
        from.add(vc.from);
        V.push(vc);
      }
    }
    if (V.length < 2 * this.k + 1) return;
    const { entries } = reproposals(V, this.opts.variant === "ignore-certificates");
    if (entries.length !== nv.O.length) return;
    for (let i = 0; i < entries.length; i++) {
      const pp = nv.O[i];
      if (!this.q.validPrePrepare(pp) || pp.v !== nv.v || pp.n !== entries[i]!.n) return;
      if (pp.d !== batchDigest(entries[i]!.reqs)) return;
    }
    this.enterView(nv);
  }

  private enterView(nv: NewView): void {
    if (nv.v > this.view || this.changing) this.node.log(`pbft: entering view ${nv.v}`);
    this.view = nv.v;
    this.changing = false;
    this.saveView();
    this.lastNewView = nv;
    this.viewTimer?.cancel();
    this.viewTimer = undefined;
    this.failedViewChanges = 0;
    for (const v of this.viewChanges.keys()) if (v <= nv.v) this.viewChanges.delete(v);
    this.slots.clear();
    this.assigned.clear();
    const { stable } = reproposals(nv.V);
    if (stable.n > this.stable.n) this.adoptStable(stable);
    let top = this.stable.n;
    for (const pp of nv.O) {
      top = Math.max(top, pp.n);
      for (const r of pp.reqs) this.assigned.add(r.id);
      if (pp.n > this.stable.n) this.acceptPrePrepare(pp);
    }
    this.nextSeq = Math.max(top, this.stable.n) + 1;
    const early = this.earlyMessages;
    this.earlyMessages = early.filter((m) => m.v > this.view);
    for (const m of early) {
      if (m.v !== this.view) continue;
      if (m.type === "pre_prepare") this.onPrePrepare(m);
      else if (m.type === "prepare") this.onPrepare(m);
      else this.onCommit(m);
    }
    const now = this.node.clock.now();
    for (const p of this.pending.values()) p.since = now;
    this.armRequestTimer();
    this.assignPending();
    this.executeReady();
    if (this.stable.n > this.executed) {
      const peer = nv.V.find((vc) => vc.cp.n === this.stable.n)?.from;
      if (peer && peer !== this.node.id) this.catchUp(peer);
    }
  }

  private onGetNewView(msg: Message): void {
    if (this.lastNewView && !this.changing && this.lastNewView.v === this.view)
      this.node.reply(msg, { type: "new_view_is", nv: this.lastNewView });
  }

  private onRole(msg: Message): void {
    this.node.reply(msg, {
      type: "role_ok",
      role: this.changing ? "changing" : this.isPrimary ? "primary" : "backup",
      view: this.view,
      primary: this.q.primaryOf(this.view),
      executed: this.executed,
      stable: this.stable.n,
    });
  }
}

/** A short readable form of a command for the executed log. */
function describe(op: Command): string {
  switch (op.type) {
    case "noop":
      return "noop";
    case "read":
      return `read ${op.key}`;
    case "write":
      return `write ${op.key} ${JSON.stringify(op.value)}`;
    case "cas":
      return `cas ${op.key} ${JSON.stringify(op.from)} ${JSON.stringify(op.to)}`;
  }
}
