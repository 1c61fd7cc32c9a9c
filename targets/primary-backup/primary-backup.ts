// Primary-backup replication with epochs, as the source material describes it (lecture notes:
// the hypervisor-based primary-backup with failover epochs; "Primary-backup: Updates" and
// "Primary-backup: Queries"; Paxos built up from a primary and a backup), as a lin-kv
// service. The rules, quoted or paraphrased from the notes, are cited as [PB1]..[PB8]:
//
//   [PB1] Updates go to the primary, which "assigns unique sequence numbers to all commands"
//         and transfers each update to the backups ("Transfer update"). Other nodes forward
//         client requests to the primary.
//   [PB2] The primary replies to an update only after every backup has acknowledged it
//         ("ack, ack ... Reply"; "Never execute an operation before it is clear that it has
//         been learned"). Backups are hot: they apply an update as soon as they receive it.
//   [PB3] Queries: "Primary cannot respond until it has received ack for prior updates!" A
//         query waits for acks, from every backup of the current epoch, of the updates before
//         it, carried by a round of messages sent after the query arrived, so a deposed
//         primary cannot answer it (see [PB5]).
//   [PB4] Failover: "If b receives a failure notification instead of [the primary's
//         messages] ... b starts failover epoch; b is promoted primary for epoch eb+1". A
//         backup that stops hearing the primary proposes the next epoch, with itself as
//         primary and without the old one, by compare-and-set on the configuration (config.ts):
//         one proposal per epoch wins. The primary removes a silent backup the same way.
//   [PB5] Epochs fence a deposed primary: a backup acknowledges only messages of its current
//         epoch's primary, and answers older epochs' messages with the newer configuration.
//         A deposed primary therefore completes neither updates nor queries (the new primary,
//         a backup of its epoch, no longer acknowledges it), and steps down on hearing it.
//   [PB6] The new primary has every acknowledged update: it was a backup of the epoch before,
//         and every backup acknowledged each of them. At the start of each epoch the primary
//         transfers its state to every member ("Transfer state"), sequence numbers included
//         (they continue across epochs), before counting their acks; a member that falls
//         behind, restarts or rejoins after being removed gets the same state transfer.
//   [PB7] "The backup's VM generates an uncertain interrupt for each I/O operation that is
//         outstanding right before the backup is promoted primary": requests outstanding at
//         an epoch change (waiting at a deposed primary, or forwarded to it) are answered
//         with an indefinite error (code 0), so the client records their outcome as unknown.
//   [PB8] "The primary logs directly to stable storage the information needed by backups":
//         every replica's state is on disk before any ack or reply that depends on it. A
//         restarted node reads the configuration: a member resumes from its disk, the
//         configuration's primary takes over again in a new epoch, others rejoin.
import { ERRORS } from "../host/errors.ts";
import type { Storage } from "../lib/durable.ts";
import type { Body, Message, Node } from "../lib/node.ts";
import { commandOf } from "../raft/kv.ts";
import type { Command } from "../raft/kv.ts";
import { ConfigService, isConfig, sameConfig } from "./config.ts";
import type { Config } from "./config.ts";
import { ReplicaDisk, ReplicaKv } from "./state.ts";
import type { LoggedUpdate } from "./state.ts";
import type { Variant } from "./variants.ts";

export type Role = "recovering" | "primary" | "backup" | "outsider";

export interface PrimaryBackupOptions {
  variant: Variant;
  storage: Storage;
  /** The primary's beat to its backups; every node's tick. */
  heartbeatMs: number;
  /** A backup that hears nothing from the primary for a random time in [min, max) suspects it. */
  failoverMs: [number, number];
  /** The primary removes a backup that has not acknowledged anything for this long. */
  removalMs: number;
  /** A suspecting backup that hears no other node either (it may be the one cut off) waits
   *  this long before proposing itself: longer than removalMs, so the primary removes it first. */
  aloneFailoverMs: number;
  /** How long a node waits for the primary to answer a forwarded client request. */
  forwardTimeoutMs: number;
  /** How often a node without a primary to follow reads the configuration (and asks to join). */
  configPollMs: number;
  /** How long a request to the configuration service may take. */
  serviceTimeoutMs: number;
}

export const DEFAULT_OPTIONS: Omit<PrimaryBackupOptions, "variant" | "storage"> = {
  heartbeatMs: 100,
  failoverMs: [400, 700],
  removalMs: 2000,
  aloneFailoverMs: 3000,
  forwardTimeoutMs: 1000,
  configPollMs: 250,
  serviceTimeoutMs: 1000,
};

/** What the primary knows of one backup's acknowledgements in the current epoch. */
interface Acks {
  /** Highest sequence number the backup has applied (-1: not yet a copy of ours). */
  seq: number;
  /** Highest round the backup has answered. */
  round: number;
  /** When the backup last answered. */
  at: number;
}

interface PendingQuery {
  seq: number;
  round: number;
  result: Body;
  respond: (b: Body) => void;
}

/** A node heard within this many ticks is reachable (non-primaries ping each other every tick). */
const REACHABLE_TICKS = 3;
/** A backup that has not acknowledged updates this many ticks old gets them again. */
const LAG_TICKS = 4;
/** The log is folded into a snapshot once it holds this many updates. */
const SNAPSHOT_EVERY = 1000;
/** At most this many updates are resent in one message (well under a datagram's 60 KB). */
const RESEND_MAX = 200;
/** A disk write slower than this is logged. */
const SLOW_DISK_MS = 200;

const uncertain = (text: string): Body => ({ type: "error", code: ERRORS.timeout.code, text });
const unavailable = (text: string): Body => ({
  type: "error",
  code: ERRORS.temporarilyUnavailable.code,
  text,
});

export class PrimaryBackup {
  role: Role = "recovering";
  /** The configuration this node acts in: the latest it knows. */
  config: Config | undefined;
  /** The epoch and primary whose state this node's is a copy of, up to `seq`. */
  syncedWith: { epoch: number; primary: string } | undefined;
  seq = 0;
  kv = new ReplicaKv();

  // Primary state.
  private round = 0;
  private acks = new Map<string, Acks>();
  /** The sequence number at each of the last few ticks (the oldest first). */
  private recentSeqs: number[] = [];
  /** Updates ordered but not yet on disk, hence not yet sent. */
  private unsent: Command[] = [];
  /** The updates ordered in this epoch (the latest RESEND_MAX), to resend what a backup missed. */
  private epochLog: LoggedUpdate[] = [];
  private pendingUpdates = new Map<number, { result: Body; respond: (b: Body) => void }>();
  private pendingQueries: PendingQuery[] = [];
  private roundScheduled = false;

  // Every role.
  /** `seq` as far as it is on disk: nothing beyond it is acknowledged or answered [PB8]. */
  private persistedSeq = 0;
  private readonly disk: ReplicaDisk;
  /** The whole state changed (a state transfer): the next flush writes a snapshot. */
  private needSnapshot = false;
  /** Updates applied since the last flush, for the log. */
  private unlogged: LoggedUpdate[] = [];
  private flushScheduled = false;
  private readonly service: ConfigService;
  /** A read, cas or write of the configuration is in flight. */
  private configBusy = false;
  /** A backup's proposal of a new epoch is out: it acknowledges nothing meanwhile [PB4]. */
  private proposing = false;
  private lastPrimaryMsg = 0;
  private failoverAfter = 0;
  private lastConfigPoll = -Infinity;
  private lastHeard = new Map<string, number>();
  private forwards = new Map<number, (b: Body) => void>();
  private nextForward = 1;

  constructor(
    readonly node: Node,
    readonly opts: PrimaryBackupOptions,
  ) {
    this.service = new ConfigService(node, opts.serviceTimeoutMs);
    this.disk = new ReplicaDisk(opts.storage);
    node.onInit(() => this.start());
    this.onPeer("pb_ping", () => {});
    this.onPeer("pb_update", (m) => this.onUpdate(m));
    this.onPeer("pb_state", (m) => this.onState(m));
    this.onPeer("pb_beat", (m) => this.onBeat(m));
    this.onPeer("pb_ack", (m) => this.onAck(m));
    this.onPeer("pb_stale", (m) => this.onStale(m));
    this.onPeer("pb_join", (m) => this.onJoin(m));
    this.onPeer("pb_forward", (m) =>
      this.handleRequest(m.body.request as Body, (b) => this.node.reply(m, b), false),
    );
    for (const type of ["read", "write", "cas"]) {
      node.on(type, (m) => this.handleRequest(m.body, (b) => this.node.reply(m, b), true));
    }
    node.on("role", (m) => this.onRole(m));
  }

  /** This node's state is a copy of its configuration's primary's. */
  get synced(): boolean {
    const c = this.config;
    return (
      c !== undefined && this.syncedWith?.epoch === c.epoch && this.syncedWith.primary === c.primary
    );
  }

  private get epochs(): boolean {
    return this.opts.variant !== "no-epochs";
  }

  private get backups(): string[] {
    return this.config ? this.config.members.filter((m) => m !== this.node.id) : [];
  }

  /** A handler for messages between nodes: any of them shows that its sender is reachable. */
  private onPeer(type: string, fn: (m: Message) => void): void {
    this.node.on(type, (m) => {
      this.lastHeard.set(m.src, this.node.clock.now());
      fn(m);
    });
  }

  // ---- start, recovery and the tick ---------------------------------------------------------

  /** Recover the state from disk [PB8]; the configuration service then says what to be. */
  private start(): void {
    const saved = this.disk.load();
    this.config = saved.config;
    this.syncedWith = saved.syncedWith;
    this.seq = saved.seq;
    this.persistedSeq = saved.seq;
    this.kv = saved.kvStore;
    this.node.log(
      `primary-backup ${this.node.id} start: epoch ${saved.config?.epoch ?? "-"}, seq ${this.seq}, variant ${this.opts.variant}`,
    );
    this.tick();
  }

  /** Write the whole state to disk now, as a snapshot (fsync'd before it returns). */
  private persist(): void {
    this.needSnapshot = false;
    this.unlogged = [];
    this.persistedSeq = this.seq;
    this.timed("snapshot", () =>
      this.disk.snapshot({
        config: this.config,
        syncedWith: this.syncedWith,
        seq: this.seq,
        kv: this.kv.entries(),
      }),
    );
  }

  private timed(what: string, write: () => void): void {
    const started = this.node.clock.now();
    write();
    const ms = this.node.clock.now() - started;
    if (ms > SLOW_DISK_MS)
      this.node.log(`primary-backup: slow disk: ${what} took ${Math.round(ms)} ms`);
  }

  /** Put what changed since the last flush on disk: a snapshot if the whole state was
   *  replaced, else the new updates appended to the log (a snapshot now and then keeps the
   *  log short). */
  private writeChanges(): void {
    if (this.needSnapshot || this.disk.logged + this.unlogged.length > SNAPSHOT_EVERY) {
      return this.persist();
    }
    if (this.unlogged.length === 0) return;
    const updates = this.unlogged;
    this.timed(`appending ${updates.length} updates`, () => this.disk.append(updates));
    this.unlogged = [];
    this.persistedSeq = this.seq;
  }

  /** The primary writes once for every update ordered in this turn of the event loop, then
   *  sends them: under a slow disk, many updates share one write. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.node.clock.after(0, () => {
      this.flushScheduled = false;
      this.writeChanges();
      if (this.role === "primary" && this.unsent.length > 0) {
        const first = this.seq - this.unsent.length + 1;
        const round = ++this.round;
        for (const b of this.backups) {
          this.send(b, { type: "pb_update", seq: first, commands: this.unsent, round });
        }
        this.unsent = [];
      }
      this.checkPending();
    });
  }

  private tick(): void {
    const now = this.node.clock.now();
    if (this.role === "primary") this.primaryTick(now);
    else {
      // Reachability (mayPromote): the primary's beats show it; the others ping each other.
      for (const peer of this.node.peers) {
        if (peer !== this.config?.primary) this.node.send(peer, { type: "pb_ping" });
      }
      if (this.role === "backup") this.backupTick(now);
      else this.outsiderTick(now);
    }
    this.node.clock.after(this.opts.heartbeatMs, () => this.tick());
  }

  // ---- the configuration ---------------------------------------------------------------------

  /** `c`, read from the service or carried by a message, replaces `mine`. With epochs only a
   *  higher epoch does; without them there is no telling, and whatever was heard last wins. */
  private supersedes(c: Config, mine: Config | undefined): boolean {
    return mine === undefined || (c.epoch >= mine.epoch && !sameConfig(c, mine));
  }

  /** Act on a configuration read from the service (the truth when it was read). */
  private learn(c: Config): void {
    if (c.primary === this.node.id) {
      if (this.role === "primary" && sameConfig(c, this.config)) return;
      // A configuration names this node primary but it does not act as one: it restarted, or
      // the reply to its own proposal was lost. Its state has everything acknowledged [PB8]:
      // take over in a new epoch, so that whatever the old incarnation sent is stale.
      return this.takeOver(c);
    }
    if (this.role !== "recovering" && !this.supersedes(c, this.config)) return;
    this.adopt(c);
  }

  /** Become a backup (a member) or an outsider of `c`, whose primary is another node. */
  private adopt(c: Config): void {
    const mine = this.config;
    const samePrimary = mine !== undefined && mine.epoch === c.epoch && mine.primary === c.primary;
    if (this.role === "primary") this.resign();
    if (!samePrimary) this.answerForwards();
    this.config = c;
    this.role = c.members.includes(this.node.id) ? "backup" : "outsider";
    this.proposing = false;
    this.resetFailover();
    this.persist();
    this.node.log(`primary-backup: ${this.role} in epoch ${c.epoch} (primary ${c.primary})`);
  }

  private takeOver(c: Config): void {
    if (!this.epochs) return this.becomePrimary(c);
    this.propose({ epoch: c.epoch + 1, primary: this.node.id, members: c.members }, c);
  }

  /** Change the configuration from `from` to `next` (whose primary is this node) [PB4]: by
   *  compare-and-set, so that only one change per epoch succeeds; the no-epochs variant
   *  overwrites it instead. Any doubt is settled by reading it back. */
  private propose(next: Config, from: Config): void {
    if (this.configBusy) return;
    this.configBusy = true;
    // A backup proposing itself stops acknowledging the old primary, so that nothing the
    // old primary completes from now on can be missing from this node's state.
    if (this.role !== "primary") this.proposing = true;
    const settle = (ok: boolean | undefined) => {
      if (ok === true) {
        this.configBusy = false;
        return this.becomePrimary(next);
      }
      this.service.read((r) => {
        this.configBusy = false;
        this.proposing = false;
        if (r.kind !== "found") return;
        if (sameConfig(r.config, next)) return this.becomePrimary(next);
        if (!sameConfig(r.config, from)) this.learn(r.config);
      });
    };
    if (this.epochs) this.service.cas(from, next, settle);
    else this.service.write(next, settle);
  }

  /** The first configuration: every node, the first one primary. Every node may propose it. */
  private createConfig(): void {
    const members = [...this.node.nodeIds].sort();
    const initial: Config = { epoch: 1, primary: members[0]!, members };
    this.configBusy = true;
    this.service.cas(undefined, initial, () => {
      this.configBusy = false;
      this.lastConfigPoll = -Infinity; // read it back at the next tick
    });
  }

  /** Read the configuration now and then, when not following a primary. */
  private pollConfig(now: number, then: () => void): void {
    if (this.configBusy || now - this.lastConfigPoll < this.opts.configPollMs) return;
    this.lastConfigPoll = now;
    this.configBusy = true;
    this.service.read((r) => {
      this.configBusy = false;
      if (r.kind === "missing") return this.createConfig();
      if (r.kind !== "found") return;
      this.learn(r.config);
      then();
    });
  }

  // ---- the primary ---------------------------------------------------------------------------

  /** Start acting as primary of `c` (again, after a change of members): a new epoch, so every
   *  member first gets the whole state [PB6]; acks of earlier epochs no longer count. */
  private becomePrimary(c: Config): void {
    const was = this.role;
    if (was !== "primary") this.answerForwards();
    this.config = c;
    this.role = "primary";
    this.syncedWith = { epoch: c.epoch, primary: c.primary };
    this.proposing = false;
    this.persist();
    const now = this.node.clock.now();
    this.acks = new Map(this.backups.map((b) => [b, { seq: -1, round: 0, at: now }]));
    this.recentSeqs = [];
    this.epochLog = [];
    this.node.log(
      `primary-backup: primary of epoch ${c.epoch}, members ${c.members.join(",")}, seq ${this.seq}`,
    );
    for (const b of this.backups) this.sendState(b);
    this.checkPending();
  }

  /** No longer primary: what waits here may still take effect (updates) or certainly will
   *  not (queries) [PB7]. */
  private resign(): void {
    this.node.log(`primary-backup: no longer primary of epoch ${this.config?.epoch}`);
    for (const { respond } of this.pendingUpdates.values()) {
      respond(uncertain("the primary was deposed; outcome unknown"));
    }
    for (const q of this.pendingQueries) q.respond(unavailable("the primary was deposed"));
    this.pendingUpdates.clear();
    this.pendingQueries = [];
    this.unsent = [];
  }

  private primaryTick(now: number): void {
    const round = ++this.round;
    const lagging = this.recentSeqs[0] ?? 0;
    for (const b of this.backups) {
      // A backup still missing updates ordered a few ticks ago gets them again.
      const acked = this.acks.get(b)!.seq;
      if (acked >= 0 && acked < lagging) this.resend(b, acked);
      else this.send(b, { type: "pb_beat", seq: this.seq, round });
    }
    this.recentSeqs.push(this.persistedSeq);
    if (this.recentSeqs.length > LAG_TICKS) this.recentSeqs.shift();
    // A backup silent for removalMs is removed [PB4], so that updates do not wait for it.
    const silent = this.backups.filter((b) => now - this.acks.get(b)!.at > this.opts.removalMs);
    if (silent.length > 0 && !this.configBusy) {
      const c = this.config!;
      this.node.log(`primary-backup: removing silent ${silent.join(",")}`);
      this.propose(
        {
          epoch: c.epoch + (this.epochs ? 1 : 0),
          primary: c.primary,
          members: c.members.filter((m) => !silent.includes(m)),
        },
        c,
      );
    }
  }

  private send(to: string, body: Body): void {
    this.node.send(to, { ...body, config: this.config });
  }

  private sendState(to: string): void {
    this.send(to, { type: "pb_state", seq: this.seq, kv: this.kv.entries(), round: this.round });
  }

  /** Send a backup the updates after `from` that are on disk here: from this epoch's log, or
   *  as the whole state if the log no longer has them all [PB6]. */
  private resend(to: string, from: number): void {
    const first = this.epochLog[0]?.seq ?? this.persistedSeq + 1;
    const missing = this.epochLog.filter((u) => u.seq > from && u.seq <= this.persistedSeq);
    if (first > from + 1 || missing.length > RESEND_MAX) return this.sendState(to);
    if (missing.length === 0) return;
    const commands = missing.map((u) => u.command);
    this.send(to, { type: "pb_update", seq: from + 1, commands, round: this.round });
  }

  /** Order an update, keep it on disk, send it to every backup [PB1] [PB8]; reply later [PB2]. */
  private update(cmd: Command, respond: (b: Body) => void): void {
    const result = this.kv.apply(cmd);
    // A cas whose precondition fails changes nothing: it is answered like a query.
    if (result.type === "error") return this.query(result, respond);
    this.seq += 1;
    this.unsent.push(cmd);
    this.unlogged.push({ seq: this.seq, command: cmd });
    this.epochLog.push({ seq: this.seq, command: cmd });
    if (this.epochLog.length > RESEND_MAX) this.epochLog.shift();
    this.pendingUpdates.set(this.seq, { result, respond });
    this.scheduleFlush(); // on disk, then sent
  }

  /** [PB3]: answer once every backup has acknowledged the updates before the query, in a
   *  round sent after it arrived. */
  private query(result: Body, respond: (b: Body) => void): void {
    // The early-query variant's mistake: the answer leaves at once, from the primary's own
    // state, whatever the backups have or have not acknowledged (or whether it still leads).
    if (this.opts.variant === "early-query") return respond(result);
    this.pendingQueries.push({ seq: this.seq, round: this.round + 1, result, respond });
    if (this.backups.length === 0) return this.scheduleFlush(); // answered once on disk
    if (this.roundScheduled) return;
    this.roundScheduled = true;
    this.node.clock.after(0, () => {
      this.roundScheduled = false;
      if (this.role !== "primary") return;
      const round = ++this.round;
      for (const b of this.backups) this.send(b, { type: "pb_beat", seq: this.seq, round });
    });
  }

  private onAck(msg: Message): void {
    const b = msg.body as Body & {
      epoch: number;
      primary: string;
      round: number;
      seq: number;
      synced: boolean;
      gap: boolean;
    };
    const acks = this.acks.get(msg.src);
    if (this.role !== "primary" || !acks) return;
    if (b.epoch !== this.config!.epoch || b.primary !== this.node.id) return;
    acks.at = this.node.clock.now();
    acks.round = Math.max(acks.round, b.round);
    // A member not yet a copy of this primary's state gets it; one that saw a gap in the
    // updates (one was lost) gets the missing ones.
    if (!b.synced) this.sendState(msg.src);
    else {
      acks.seq = Math.max(acks.seq, b.seq);
      if (b.gap) this.resend(msg.src, b.seq);
    }
    this.checkPending();
  }

  /** Answer every update that every backup holds [PB2], and every query whose prior updates
   *  they hold and whose round they answered [PB3]. */
  private checkPending(): void {
    if (this.role !== "primary") return;
    let seq = this.persistedSeq;
    let round = Infinity;
    for (const a of this.acks.values()) {
      seq = Math.min(seq, a.seq);
      round = Math.min(round, a.round);
    }
    for (const [s, { result, respond }] of this.pendingUpdates) {
      if (s > seq) break;
      this.pendingUpdates.delete(s);
      respond(result);
    }
    this.pendingQueries = this.pendingQueries.filter((q) => {
      if (q.seq > seq || q.round > round) return true;
      q.respond(q.result);
      return false;
    });
  }

  /** A backup answered with a newer configuration: this node was deposed [PB5]. */
  private onStale(msg: Message): void {
    const c = msg.body.config;
    if (isConfig(c)) this.learn(c);
  }

  /** A node outside the configuration asks to be a member: add it in a new epoch [PB6]. */
  private onJoin(msg: Message): void {
    const c = this.config;
    if (this.role !== "primary" || !c || c.members.includes(msg.src)) return;
    if (this.configBusy) return;
    this.node.log(`primary-backup: adding ${msg.src}`);
    this.propose(
      {
        epoch: c.epoch + (this.epochs ? 1 : 0),
        primary: c.primary,
        members: [...c.members, msg.src],
      },
      c,
    );
  }

  // ---- backups -------------------------------------------------------------------------------

  /** Whether a message from a primary is to be acted on (and acknowledged) [PB5]. */
  private acceptFromPrimary(msg: Message): boolean {
    const c = msg.body.config;
    if (!isConfig(c) || c.primary !== msg.src || this.role === "recovering") return false;
    const mine = this.config!;
    if (this.role === "primary") {
      // Another primary: of a newer epoch, this one was deposed. Without epochs a primary
      // cannot tell, and goes on: two primaries.
      if (c.epoch > mine.epoch) this.adopt(c);
      else {
        if (c.epoch < mine.epoch) this.node.send(msg.src, { type: "pb_stale", config: mine });
        return false;
      }
    }
    if (this.proposing) return false;
    if (c.epoch < this.config!.epoch) {
      // [PB5] a deposed primary's message: refused, with the news.
      this.node.send(msg.src, { type: "pb_stale", config: this.config });
      return false;
    }
    if (!sameConfig(c, this.config)) this.adopt(c);
    if (this.role !== "backup") return false;
    this.resetFailover();
    return true;
  }

  /** Acknowledge, once what this node holds is on disk [PB8]. */
  private ack(to: string, round: number, gap: boolean): void {
    this.writeChanges();
    this.node.send(to, {
      type: "pb_ack",
      epoch: this.config!.epoch,
      primary: this.config!.primary,
      round,
      seq: this.seq,
      synced: this.synced,
      gap,
    });
  }

  /** A hot backup applies each update at once, in order, on disk before the ack [PB2] [PB8]. */
  private onUpdate(msg: Message): void {
    if (!this.acceptFromPrimary(msg)) return;
    const b = msg.body as Body & { seq: number; commands: Command[]; round: number };
    b.commands.forEach((command, i) => {
      if (!this.synced || b.seq + i !== this.seq + 1) return;
      this.kv.apply(command);
      this.seq += 1;
      this.unlogged.push({ seq: this.seq, command });
    });
    this.ack(msg.src, b.round, b.seq > this.seq + 1);
  }

  /** The primary's whole state replaces this node's [PB6] (unless it is an older copy). */
  private onState(msg: Message): void {
    if (!this.acceptFromPrimary(msg)) return;
    const b = msg.body as Body & { seq: number; kv: [string, unknown][]; round: number };
    if (!this.synced || b.seq > this.seq) {
      this.kv = ReplicaKv.from(b.kv);
      this.seq = b.seq;
      this.syncedWith = { epoch: this.config!.epoch, primary: this.config!.primary };
      this.needSnapshot = true;
    }
    this.ack(msg.src, b.round, false);
  }

  private onBeat(msg: Message): void {
    if (!this.acceptFromPrimary(msg)) return;
    this.ack(msg.src, msg.body.round as number, false);
  }

  private resetFailover(): void {
    const [min, max] = this.opts.failoverMs;
    this.lastPrimaryMsg = this.node.clock.now();
    this.failoverAfter = min + this.node.clock.random() * (max - min);
  }

  /** [PB4]: a backup that has not heard the primary for a while reads the configuration and,
   *  if nothing changed and it may, proposes the next epoch with itself as primary. */
  private backupTick(now: number): void {
    if (now - this.lastPrimaryMsg < this.failoverAfter) return;
    this.pollConfig(now, () => {
      const c = this.config!;
      const later = this.node.clock.now();
      if (this.role !== "backup" || later - this.lastPrimaryMsg < this.failoverAfter) return;
      if (!this.mayPromote(later)) return;
      this.node.log(
        `primary-backup: no word from primary ${c.primary}; proposing epoch ${c.epoch + 1}`,
      );
      this.propose(
        {
          epoch: c.epoch + (this.epochs ? 1 : 0),
          primary: this.node.id,
          members: c.members.filter((m) => m !== c.primary),
        },
        c,
      );
    });
  }

  /** A backup may take over if its state has every update acknowledged so far [PB6], and if
   *  it is not merely cut off itself: it hears some other node now, is the only backup, or has
   *  waited past the time the primary would have removed it. Its state is complete if it is a
   *  copy of this epoch's primary's, or of the previous epoch's while it has acknowledged
   *  nothing in this one: nothing can have been acknowledged here without its ack (it learned
   *  the epoch from the service while the primary could not reach it). */
  private mayPromote(now: number): boolean {
    const c = this.config!;
    const complete = this.synced || (this.epochs && this.syncedWith?.epoch === c.epoch - 1);
    if (!complete || !c.members.includes(this.node.id)) return false;
    const others = c.members.filter((m) => m !== c.primary && m !== this.node.id);
    if (others.length === 0 || now - this.lastPrimaryMsg > this.opts.aloneFailoverMs) return true;
    for (const [node, at] of this.lastHeard) {
      if (node !== c.primary && now - at < REACHABLE_TICKS * this.opts.heartbeatMs) return true;
    }
    return false;
  }

  // ---- outsiders (and recovering nodes) ------------------------------------------------------

  private outsiderTick(now: number): void {
    this.pollConfig(now, () => {
      if (this.role === "outsider" && this.config) {
        this.node.send(this.config.primary, { type: "pb_join" });
      }
    });
  }

  // ---- clients -------------------------------------------------------------------------------

  /** Serve a lin-kv request as primary, or forward it to the primary once [PB1]. */
  private handleRequest(body: Body, respond: (b: Body) => void, mayForward: boolean): void {
    const command = commandOf(body);
    if (!command) {
      return respond({ type: "error", code: ERRORS.notSupported.code, text: body.type });
    }
    if (this.role === "primary") {
      if (command.type === "read") return this.query(this.kv.read(command.key), respond);
      return this.update(command, respond);
    }
    const primary = this.config?.primary;
    if (mayForward && this.role !== "recovering" && primary && primary !== this.node.id) {
      return this.forward(primary, body, respond);
    }
    respond(unavailable("not the primary, and no primary known"));
  }

  private forward(primary: string, body: Body, respond: (b: Body) => void): void {
    const id = this.nextForward++;
    let done = false;
    const finish = (b: Body) => {
      if (done) return;
      done = true;
      this.forwards.delete(id);
      respond(b);
    };
    this.forwards.set(id, finish);
    const request = { ...body };
    delete request.msg_id;
    this.node.request(primary, { type: "pb_forward", request }, this.opts.forwardTimeoutMs, (r) => {
      if (!r)
        return finish(uncertain(`no answer from primary ${primary} in time; outcome unknown`));
      const { in_reply_to: _ignored, ...rest } = r;
      finish(rest as Body);
    });
  }

  /** [PB7]: requests forwarded to a primary that is no longer this node's are uncertain. */
  private answerForwards(): void {
    for (const finish of [...this.forwards.values()]) {
      finish(uncertain("the primary changed while the request was forwarded; outcome unknown"));
    }
  }

  /** Who this node thinks it is (Target.leader and tests). */
  private onRole(msg: Message): void {
    this.node.reply(msg, {
      type: "role_ok",
      role: this.role,
      epoch: this.config?.epoch ?? 0,
      primary: this.config?.primary ?? null,
      members: this.config?.members ?? [],
      seq: this.seq,
      synced: this.synced,
    });
  }
}
