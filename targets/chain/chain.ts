// Chain replication (van Renesse and Schneider, OSDI '04), as the source material's slides
// draw it ("Chain replication", "Chain replication: Updates", "Chain replication: Queries",
// after "Primary-backup: Updates/Queries"), as a lin-kv service. The rules, from the slides
// or from what the slides assume, are cited in comments as [C1]..[C8]:
//
//   [C1] Updates enter at the head ("Head ... U"). The head holds the newest state, so it
//        decides each update there (a cas's outcome included) and gives it the next sequence
//        number; a node that is not the head forwards writes and cas to the head.
//   [C2] Updates flow from the head to the tail over links that are "Fifo, Reliable": each
//        node applies its predecessor's updates in sequence order, forwards them to its
//        successor, and keeps re-sending what the successor has not acknowledged. Over UDP
//        datagrams: sequence numbers, cumulative acks, retransmission. So each node's
//        updates are a prefix of its predecessor's.
//   [C3] The tail replies ("Reply" from the tail). An update is answered only once it is at
//        the tail, hence at every node of the chain.
//   [C4] Queries go to the tail ("Head Tail Q Reply"), and "Tail can respond immediately,
//        without waiting for the new update": what the tail holds is at every node, unlike a
//        primary, which "cannot respond until it has received ack for prior updates".
//   [C5] A chain master repairs the chain when a node fails; like the primary-backup slides'
//        failover epoch (eb := eb + 1), each repair starts a new epoch. Here the master's
//        state (epoch, chain order) is one key of the lin-kv service, which outlives node
//        faults and is never partitioned from the nodes: a node that suspects a neighbour
//        (silent for failMs, heartbeats) proposes the next epoch without it by cas. The
//        others keep their order. Nodes drop chain messages of older epochs. Where the
//        paper's master informs the nodes, here every message carries its sender's epoch and
//        a node that sees a newer one reads the key: a node cut off hears of nothing.
//   [C6] Repair keeps every update the tail acknowledged on every node of the new chain: a
//        node's new successor gets re-sent whatever it lacks ([C2] from the successor's
//        acknowledged sequence number); a tail answers queries only once it holds all its
//        predecessor held when that predecessor adopted the epoch (the handover), since a
//        node that was tail before may have answered up to there; and a tail that has not
//        caught up never removes its predecessor, the only node sure to hold it all.
//   [C7] A tail confirms it is still the tail of the current epoch (a read of the master's
//        key) before it answers queries, so a tail cut off and replaced stops answering.
//   [C8] State is on disk before anything that depends on it leaves the node (forwarding,
//        acknowledging, replying). A restarted node still in the chain resumes from disk; a
//        removed node discards its state and joins again as the new tail, after a state
//        transfer from the tail it extends ([C6] then makes it wait for the handover).
import { ERRORS } from "../host/errors.ts";
import type { Storage } from "../lib/durable.ts";
import type { Body, Message, Node } from "../lib/node.ts";
import { commandOf } from "../raft/kv.ts";
import type { Command } from "../raft/kv.ts";
import {
  CONFIG_KEY,
  describe,
  head,
  ids,
  initialConfig,
  isConfig,
  memberSince,
  predecessor,
  successor,
  tail,
  withTail,
  without,
} from "./config.ts";
import type { ChainConfig } from "./config.ts";
import { Replica } from "./replica.ts";
import type { Snapshot, Update } from "./replica.ts";
import type { Variant } from "./variants.ts";

export interface ChainOptions {
  variant: Variant;
  storage: Storage;
  /** How often a node sends its successor what is unacknowledged (or an empty heartbeat). */
  heartbeatMs: number;
  /** How often a node pings every other node (to know whether it hears a majority). */
  pingMs: number;
  /** A neighbour silent this long is suspected to have failed [C5]. */
  failMs: number;
  /** A node proposes a repair only if it heard from a majority of the cluster this recently
   *  (shorter than failMs: a node cut off alone must not count the others as heard), and
   *  forwards a client's request only to a node it heard from this recently. */
  heardWithinMs: number;
  /** How long a node waits for the lin-kv service or a probed tail. */
  requestTimeoutMs: number;
  /** How often a node outside the chain tries to join it [C8]. */
  joinRetryMs: number;
  /** Updates per chain_update message (keeps it in one datagram). */
  maxUpdatesPerMessage: number;
}

export const DEFAULT_OPTIONS: Omit<ChainOptions, "variant" | "storage"> = {
  heartbeatMs: 50,
  pingMs: 100,
  failMs: 1000,
  heardWithinMs: 500,
  requestTimeoutMs: 500,
  joinRetryMs: 500,
  maxUpdatesPerMessage: 50,
};

/** A client waiting for an answer: its id and the msg_id of its request. */
interface ClientRef {
  client: string;
  client_msg_id: number;
}

export class ChainNode {
  readonly replica: Replica;
  /** The newest configuration this node has adopted. */
  config: ChainConfig | undefined;
  /** In the chain of `config` as this incarnation (same `since`). */
  member = false;
  /** Tail only: caught up with the handover, so it may answer queries [C6]. */
  active = false;

  private adoptedAt = 0;
  /** When the node last found it had not run for a while (paused): a grace like adoption. */
  private wokeAt = 0;
  private lastTick = 0;
  /** Successor link [C2]: its last acknowledged seq (unknown at first) and the last seq sent. */
  private succAcked: number | undefined;
  private sentUpTo = 0;
  /** My lastSeq when I adopted this epoch, sent to my successor as the handover [C6]. */
  private handover = 0;
  /** The handover my predecessor sent in this epoch. */
  private predHandover: number | undefined;
  /** Any message from a node (for hearing a majority). */
  private lastHeard = new Map<string, number>();
  /** Chain traffic in this epoch: updates from the predecessor, acks from the successor. */
  private lastChainHeard = new Map<string, number>();
  private reads: { key: string; ref: ClientRef }[] = [];
  private confirming = false;
  private fetching = false;
  private proposing = false;
  private joining = false;
  private lastPing = -Infinity;
  private lastJoinTry = -Infinity;

  constructor(
    readonly node: Node,
    readonly opts: ChainOptions,
  ) {
    this.replica = new Replica(opts.storage);
    node.onInit(() => this.start());
    const on = (type: string, handler: (m: Message) => void) =>
      node.on(type, (m) => {
        this.lastHeard.set(m.src, node.clock.now());
        handler(m);
      });
    for (const type of ["read", "write", "cas"]) on(type, (m) => this.onClientRequest(m));
    on("chain_forward", (m) => this.onForward(m));
    on("chain_update", (m) => this.onUpdate(m));
    on("chain_ack", (m) => this.onAck(m));
    on("chain_stale", () => this.fetchConfig());
    on("chain_nudge", (m) => this.heardEpoch(Number(m.body.epoch)));
    // Every node tells every other its epoch: news of a repair spreads to all it can reach.
    on("ping", (m) => this.heardEpoch(Number(m.body.epoch)));
    on("join_probe", (m) =>
      node.reply(m, { type: "join_probe_ok", epoch: this.config?.epoch ?? 0, tail: this.isTail }),
    );
    on("role", (m) => this.onRole(m));
  }

  get isHead(): boolean {
    return this.member && head(this.config!) === this.node.id;
  }

  get isTail(): boolean {
    return this.member && tail(this.config!) === this.node.id;
  }

  private get pred(): string | undefined {
    return this.member ? predecessor(this.config!, this.node.id) : undefined;
  }

  private get succ(): string | undefined {
    return this.member ? successor(this.config!, this.node.id) : undefined;
  }

  // ---- start, the periodic tick -------------------------------------------------------

  /** Recover the replica from disk [C8], then learn the configuration. */
  private start(): void {
    this.replica.load();
    this.node.log(
      `chain ${this.node.id} start: last seq ${this.replica.lastSeq}, member since epoch ${this.replica.since}, variant ${this.opts.variant}`,
    );
    this.lastTick = this.node.clock.now();
    this.fetchConfig();
    this.tick();
  }

  private tick(): void {
    const now = this.node.clock.now();
    // A tick far later than planned: this node was paused. Its neighbours' silence meanwhile
    // says nothing about them, so it gets a fresh grace period before suspecting anyone.
    if (now - this.lastTick > 4 * this.opts.heartbeatMs) this.wokeAt = now;
    this.lastTick = now;
    if (!this.config) this.fetchConfig();
    if (now - this.lastPing >= this.opts.pingMs) {
      this.lastPing = now;
      const ping = { type: "ping", epoch: this.config?.epoch ?? 0 };
      for (const peer of this.node.peers) this.node.send(peer, ping);
    }
    if (this.config && this.member) {
      this.sendToSuccessor(true);
      this.detectFailures();
    } else if (this.config) {
      this.maybeJoin();
    }
    this.node.clock.after(this.opts.heartbeatMs, () => this.tick());
  }

  // ---- the configuration: the chain master's state in lin-kv [C5] --------------------------

  private fetchConfig(): void {
    if (this.fetching) return;
    this.fetching = true;
    this.service({ type: "read", key: CONFIG_KEY }, (reply) => {
      this.fetching = false;
      if (reply?.type === "read_ok" && isConfig(reply.value)) return this.adopt(reply.value);
      if (reply?.type === "error" && reply.code === ERRORS.keyDoesNotExist.code) {
        // The first node to look creates the first chain: every node, in id order.
        const first = initialConfig(this.node.nodeIds);
        const cas = { type: "cas", key: CONFIG_KEY, from: null, to: first };
        this.service({ ...cas, create_if_not_exists: true }, (r) => {
          if (r?.type === "cas_ok") this.adopt(first);
          else this.fetchConfig();
        });
      }
    });
  }

  /** A message named an epoch: read the configuration if it is newer than ours. */
  private heardEpoch(epoch: number): void {
    if (!this.config || epoch > this.config.epoch) this.fetchConfig();
  }

  /** Propose the next configuration by cas on the one this node holds [C5]. */
  private propose(next: ChainConfig, why: string, then?: () => void): void {
    const from = this.config;
    this.proposing = true;
    this.node.log(`chain: proposing ${describe(next)}: ${why}`);
    this.service({ type: "cas", key: CONFIG_KEY, from, to: next }, (reply) => {
      this.proposing = false;
      then?.();
      if (reply?.type === "cas_ok") this.adopt(next);
      else this.fetchConfig(); // someone else changed it first, or no answer: look again
    });
  }

  /** Take a newer configuration: from now on, messages of older epochs are dropped [C5]. */
  private adopt(next: ChainConfig): void {
    if (this.config && next.epoch <= this.config.epoch) return;
    const wasMember = this.member;
    const hadSuccessor = this.succ !== undefined;
    const succAcked = this.succAcked;
    this.config = next;
    this.adoptedAt = this.node.clock.now();
    this.member = memberSince(next, this.node.id) === this.replica.since;
    this.succAcked = undefined;
    this.sentUpTo = 0;
    this.predHandover = undefined;
    this.handover = this.replica.lastSeq; // [C6]
    this.lastChainHeard.clear();
    this.active = false;
    const role = !this.member
      ? "not a member"
      : this.isTail
        ? "tail"
        : this.isHead
          ? "head"
          : "middle";
    this.node.log(`chain: adopted ${describe(next)}; ${this.node.id} is ${role}`);
    if (!this.member) return;
    // A node that has just become the tail answers the clients of updates its old successor
    // may not have passed on (their answers may be lost with it). Answering twice is harmless.
    if (wasMember && hadSuccessor && this.isTail) {
      this.answer(this.replica.keptAfter(succAcked ?? this.replica.lastSeq));
    }
    this.sendToSuccessor(true); // tells the successor of the new epoch
    if (this.pred) this.node.send(this.pred, { type: "chain_nudge", epoch: next.epoch });
    this.checkActive();
  }

  /** [C6]: a tail answers queries once it holds what its predecessor held at the handover
   *  (a single node chain has nobody to wait for). */
  private checkActive(): void {
    if (this.active || !this.isTail) return;
    const pred = this.pred;
    if (pred !== undefined && (this.predHandover ?? Infinity) > this.replica.lastSeq) return;
    this.active = true;
    this.node.log(
      `chain: tail of epoch ${this.config!.epoch} active at seq ${this.replica.lastSeq}`,
    );
  }

  // ---- failure detection and repair [C5] [C6] ---------------------------------------------

  private detectFailures(): void {
    if (this.proposing || this.joining) return;
    const now = this.node.clock.now();
    // Only a node that hears from a majority of the cluster proposes: a node cut off alone
    // would otherwise remove the others (safe, but the chain would stall until it heals).
    const heard = 1 + this.node.peers.filter((p) => this.heardRecently(p)).length;
    if (heard < Math.floor(this.node.nodeIds.length / 2) + 1) return;
    const grace = Math.max(this.adoptedAt, this.wokeAt);
    const silent = (n: string) =>
      now - Math.max(this.lastChainHeard.get(n) ?? -Infinity, grace) > this.opts.failMs;
    const { succ, pred } = this;
    if (succ !== undefined && silent(succ)) {
      return this.propose(without(this.config!, succ), `successor ${succ} silent`);
    }
    // A tail that has not caught up may lack updates its predecessor acknowledged as tail:
    // it must not make itself the only holder of the state [C6].
    if (pred !== undefined && silent(pred) && !(this.isTail && !this.active)) {
      return this.propose(without(this.config!, pred), `predecessor ${pred} silent`);
    }
  }

  private heardRecently(node: string): boolean {
    const at = this.lastHeard.get(node) ?? -Infinity;
    return this.node.clock.now() - at < this.opts.heardWithinMs;
  }

  /** Outside the chain (new, or removed while down or cut off): once the tail answers, discard
   *  the old state and join as the new tail [C8]; the tail then sends a snapshot [C6]. */
  private maybeJoin(): void {
    const now = this.node.clock.now();
    if (this.joining || this.proposing || now - this.lastJoinTry < this.opts.joinRetryMs) return;
    const config = this.config!;
    // Named in the chain as an older incarnation: wait for the neighbours to remove it.
    if (memberSince(config, this.node.id) !== undefined) return;
    const t = tail(config);
    if (t === undefined) return;
    this.lastJoinTry = now;
    this.joining = true;
    this.node.request(t, { type: "join_probe" }, this.opts.requestTimeoutMs, (reply) => {
      if (
        reply?.type !== "join_probe_ok" ||
        reply.epoch !== config.epoch ||
        this.config !== config
      ) {
        this.joining = false;
        if (reply?.type === "join_probe_ok") this.heardEpoch(Number(reply.epoch));
        return;
      }
      const next = withTail(config, this.node.id);
      this.replica.reset(next.epoch); // on disk before the cas that makes it a member
      this.propose(next, `joining after ${t}`, () => (this.joining = false));
    });
  }

  // ---- the FIFO reliable link to the successor [C2] ----------------------------------------

  /** Send the successor what it lacks. A heartbeat re-sends from its last ack (lost updates);
   *  otherwise only what was never sent. Before its first ack, an empty probe. */
  private sendToSuccessor(heartbeat: boolean): void {
    const succ = this.succ;
    if (succ === undefined) return;
    const base: Body = { type: "chain_update", epoch: this.config!.epoch, handover: this.handover };
    const send = (body: Body) => this.node.send(succ, body);
    if (this.succAcked === undefined) {
      if (heartbeat) send(base);
      return;
    }
    const from = heartbeat ? this.succAcked : Math.max(this.succAcked, this.sentUpTo);
    if (from >= this.replica.lastSeq) {
      if (heartbeat) send(base);
      return;
    }
    const updates = this.replica.updatesAfter(from, this.opts.maxUpdatesPerMessage);
    if (updates === undefined) {
      // No longer kept: a state transfer instead [C6].
      this.sentUpTo = this.replica.lastSeq;
      return send({ ...base, snapshot: this.replica.snapshot() });
    }
    this.sentUpTo = Math.max(this.sentUpTo, updates.at(-1)!.seq);
    send({ ...base, updates });
  }

  private onUpdate(msg: Message): void {
    const b = msg.body as Body & {
      epoch: number;
      handover: number;
      updates?: Update[];
      snapshot?: Snapshot;
    };
    if (!this.config || b.epoch > this.config.epoch) return this.fetchConfig();
    if (b.epoch < this.config.epoch) {
      // An old epoch's predecessor [C5]: refuse, and tell it to look at the configuration.
      return this.node.send(msg.src, { type: "chain_stale", epoch: this.config.epoch });
    }
    if (!this.member || msg.src !== this.pred) return;
    this.lastChainHeard.set(msg.src, this.node.clock.now());
    this.predHandover = Math.max(this.predHandover ?? 0, b.handover);
    const before = this.replica.lastSeq;
    const applied = this.replica.receive(b.snapshot, b.updates ?? []); // on disk [C8]
    if (this.replica.lastSeq > before) {
      if (this.isTail) this.answer(applied);
      else this.sendToSuccessor(false);
    }
    this.checkActive();
    this.node.send(msg.src, {
      type: "chain_ack",
      epoch: this.config.epoch,
      last_seq: this.replica.lastSeq,
    });
  }

  private onAck(msg: Message): void {
    const b = msg.body as Body & { epoch: number; last_seq: number };
    if (!this.config || b.epoch > this.config.epoch) return this.fetchConfig();
    if (b.epoch < this.config.epoch || msg.src !== this.succ) return;
    this.lastChainHeard.set(msg.src, this.node.clock.now());
    if (b.last_seq > this.replica.lastSeq) {
      this.node.log(
        `chain: BUG: successor ${msg.src} acknowledged seq ${b.last_seq} beyond ours (${this.replica.lastSeq})`,
      );
    }
    const first = this.succAcked === undefined;
    this.succAcked = Math.max(this.succAcked ?? 0, b.last_seq);
    if (first) this.sentUpTo = this.succAcked;
    // Nothing in flight any more: send the next window (catching up a far-behind successor).
    if (this.succAcked >= this.sentUpTo) this.sendToSuccessor(false);
  }

  /** The tail answers the clients of updates it now holds [C3]. */
  private answer(updates: Update[]): void {
    for (const u of updates) {
      if (u.client !== undefined) {
        this.respond({ client: u.client, client_msg_id: u.client_msg_id! }, u.reply);
      }
    }
  }

  // ---- clients: updates at the head, queries at the tail ------------------------------------

  private onClientRequest(msg: Message): void {
    const ref = { client: msg.src, client_msg_id: msg.body.msg_id! };
    this.handle(msg.body, ref, true);
  }

  private onForward(msg: Message): void {
    const ref = { client: String(msg.body.client), client_msg_id: Number(msg.body.client_msg_id) };
    this.handle(msg.body.request as Body, ref, false);
  }

  private respond(ref: ClientRef, body: Body): void {
    this.node.send(ref.client, { ...body, in_reply_to: ref.client_msg_id });
  }

  private unavailable(ref: ClientRef, text: string): void {
    this.respond(ref, { type: "error", code: ERRORS.temporarilyUnavailable.code, text });
  }

  private handle(body: Body, ref: ClientRef, mayForward: boolean): void {
    const command = commandOf(body);
    if (!command) {
      return this.respond(ref, { type: "error", code: ERRORS.notSupported.code, text: body.type });
    }
    const config = this.config;
    if (!config) return this.unavailable(ref, "no chain configuration known yet");
    if (command.type === "read") {
      // The non-tail-reads variant's mistake: any node answers from its own state [C4].
      if (this.opts.variant === "non-tail-reads")
        return this.respond(ref, this.replica.kv.read(command.key));
      if (this.isTail) return this.query(command.key, ref);
      return this.route(tail(config), "tail", body, ref, mayForward);
    }
    if (this.isHead) return this.update(command, ref);
    this.route(head(config), "head", body, ref, mayForward);
  }

  /** Forward a request to the head or tail, once; its answer goes straight to the client. */
  private route(
    dest: string | undefined,
    role: string,
    body: Body,
    ref: ClientRef,
    mayForward: boolean,
  ): void {
    if (!mayForward || dest === undefined || dest === this.node.id) {
      return this.unavailable(ref, `not the ${role} of the chain`);
    }
    // Not sent to a node unheard of lately (cut off, down): the client learns at once that
    // nothing was done, instead of waiting for its timeout and an unknown outcome.
    if (!this.heardRecently(dest)) {
      return this.unavailable(ref, `no word from the ${role} ${dest} lately`);
    }
    const { msg_id: _ignored, ...request } = body;
    this.node.send(dest, { type: "chain_forward", ...ref, request });
  }

  /** Head: decide the update, put it on disk and pass it down the chain [C1] [C2]. */
  private update(command: Command, ref: ClientRef): void {
    const headReplies = this.opts.variant === "head-replies";
    const u = this.replica.decide(command, headReplies ? undefined : ref);
    // The head-replies variant's mistake: the client hears the outcome before the update is
    // at the tail [C3], so an update it was told about can be lost with the head.
    if (headReplies) this.respond(ref, u.reply);
    if (this.isTail) this.answer([u]);
    else this.sendToSuccessor(false);
  }

  /** Tail: answer queries from its state [C4], after confirming it is still the tail [C7]. */
  private query(key: string, ref: ClientRef): void {
    if (!this.active) return this.unavailable(ref, "new tail still catching up");
    // The unconfirmed-tail-reads variant's mistake: no confirmation [C7].
    if (this.opts.variant === "unconfirmed-tail-reads") {
      return this.respond(ref, this.replica.kv.read(key));
    }
    this.reads.push({ key, ref });
    this.confirmReads();
  }

  /** One read of the configuration confirms every query that arrived before it was sent. */
  private confirmReads(): void {
    if (this.confirming || this.reads.length === 0) return;
    const batch = this.reads.splice(0);
    this.confirming = true;
    this.service({ type: "read", key: CONFIG_KEY }, (reply) => {
      this.confirming = false;
      const seen = reply?.type === "read_ok" && isConfig(reply.value) ? reply.value : undefined;
      if (seen) this.adopt(seen);
      const still =
        seen !== undefined && seen.epoch === this.config?.epoch && this.isTail && this.active;
      for (const r of batch) {
        if (still) this.respond(r.ref, this.replica.kv.read(r.key));
        else this.unavailable(r.ref, "could not confirm this node is still the tail");
      }
      this.confirmReads();
    });
  }

  private service(body: Body, onReply: (reply?: Body) => void): void {
    this.node.request("lin-kv", body, this.opts.requestTimeoutMs, onReply);
  }

  /** What this node believes (used by Target.leader and tests). */
  private onRole(msg: Message): void {
    const config = this.config;
    this.node.reply(msg, {
      type: "role_ok",
      epoch: config?.epoch ?? 0,
      chain: config ? ids(config) : [],
      head: config ? (head(config) ?? null) : null,
      tail: config ? (tail(config) ?? null) : null,
      member: this.member,
      active: this.active,
      last_seq: this.replica.lastSeq,
    });
  }
}
