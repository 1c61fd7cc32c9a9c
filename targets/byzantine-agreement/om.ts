// Byzantine agreement with oral messages, OM(m), as the source material gives it ("Consensus
// under arbitrary failure semantics", "Why having 3k processes is not enough", "3k+1 is
// enough"), one protocol instance per client proposal. Rules, cited where implemented:
//
// [B1] A primary P and backups B1..Bn-1; a client sends v in {T, F} to P, which stores it.
// [B2] A receiver reliably detects a message's sender: a value whose path does not end with
//      the node it came from is dropped (the node host drops forged senders: authenticated).
// [B3] With k traitors, n >= 3k+1 nodes: the node runs OM(m), m = floor((n-1)/3) relay
//      rounds, at least 1 (so with n = 3 it runs OM(1), the source's 3-process example that
//      shows 3k is not enough).
// [B4] Round 1: P sends v to every backup. A backup that receives a value along a path p of
//      at most m nodes, itself not on p, relays it along p + [itself] to every node not on
//      that path: it acts as the commander of OM(m - |p|) among them.
// [B5] Rounds are synchronous by timeout: a value along a path of r nodes belongs to round r
//      and counts only if it arrives within r rounds of the instance's start; after round
//      m+1 the backup decides. A message missing by then, late or corrupted ("lost, but this
//      can be detected") counts as the default value.
// [B6] Each (sub)instance's value at a backup is the majority of the values of its
//      lieutenants: its own (what it received from that instance's commander) and what each
//      other lieutenant relayed in the sub-instance below; a tie gives the default.
// [B7] The decision is the top instance's value; once stored it never changes, and
//      `read_decision` answers it.
import { ERRORS } from "../host/errors.ts";
import type { Body, Message, Node, Timer } from "../lib/node.ts";
import { StallWatch } from "./stall.ts";
import type { Variant } from "./variants.ts";

export type Value = "T" | "F";

/** The default value [B5][B6]. */
export const DEFAULT_VALUE: Value = "F";

export interface OmOptions {
  variant: Variant;
  /** One synchronous round, ms [B5]. */
  roundMs: number;
  /** Relay rounds m; default floor((n-1)/3), at least 1 [B3]. */
  relayRounds?: number;
  /** Decided instances kept (the oldest are forgotten past it: a soak run's memory). */
  keepInstances: number;
}

export const DEFAULT_OPTIONS: OmOptions = {
  variant: "correct",
  roundMs: 500,
  keepInstances: 100_000,
};

/** The relay rounds OM runs with n nodes [B3]. */
export function relayRoundsFor(n: number): number {
  return Math.max(1, Math.floor((n - 1) / 3));
}

/** A value with the arrival order of the message that carried it (no-default's tie-break). */
interface Vote {
  value: Value;
  seq: number;
}

interface Instance {
  commander: string;
  /** Local time it began here: the propose (primary) or the first message heard (backup). */
  startedAt: number;
  /** The first value received along each path (joined with ">"), with its arrival order. */
  received: Map<string, Vote>;
  decided?: Value;
  timer?: Timer;
}

const keyOf = (path: string[]) => path.join(">");

export class OralMessages {
  readonly instances = new Map<string, Instance>();
  private arrivals = 0;
  private readonly stall: StallWatch;

  constructor(
    readonly node: Node,
    readonly opts: OmOptions = DEFAULT_OPTIONS,
  ) {
    node.on("propose", (msg) => this.onPropose(msg));
    node.on("om", (msg) => this.onValue(msg));
    node.on("read_decision", (msg) => this.onRead(msg));
    this.stall = new StallWatch(node.clock);
  }

  /** m, the relay rounds [B3]. */
  get relayRounds(): number {
    return this.opts.relayRounds ?? relayRoundsFor(this.node.nodeIds.length);
  }

  /** What this node stored for an instance, if it decided. */
  decision(instance: string): Value | undefined {
    return this.instances.get(instance)?.decided;
  }

  // [B1] The client gives the primary its value; the primary stores it and sends round 1.
  private onPropose(msg: Message): void {
    const { instance, value } = msg.body;
    if (typeof instance !== "string" || (value !== "T" && value !== "F")) {
      this.node.error(
        msg,
        ERRORS.malformedRequest,
        "propose needs instance (a string) and value T or F",
      );
      return;
    }
    if (this.instances.has(instance)) {
      this.node.error(
        msg,
        ERRORS.preconditionFailed,
        `instance ${instance} has already begun here`,
      );
      return;
    }
    this.remember(instance, {
      commander: this.node.id,
      startedAt: this.node.clock.now(),
      received: new Map(),
      decided: value,
    });
    for (const peer of this.node.peers) this.send(peer, instance, [this.node.id], value);
    this.node.reply(msg, { type: "propose_ok" });
  }

  private onValue(msg: Message): void {
    const { instance, path, value } = msg.body;
    const m = this.relayRounds;
    if (typeof instance !== "string" || !this.validPath(path) || path.length > m + 1) return;
    if (path[path.length - 1] !== msg.src) return; // [B2] not from whom it claims
    if (path.includes(this.node.id)) return;
    const now = this.node.clock.now();
    let inst = this.instances.get(instance);
    if (!inst) {
      // [B5] The instance begins here with the first message heard of it: relays go on at
      // once, so a relay may arrive before the primary's own message, and no earlier start
      // can be told from it.
      inst = { commander: path[0]!, startedAt: now, received: new Map() };
      this.remember(instance, inst);
      if (this.opts.variant !== "one-round")
        inst.timer = this.node.clock.after((m + 1) * this.opts.roundMs, () =>
          this.decide(instance),
        );
    }
    if (inst.decided !== undefined || path[0] !== inst.commander) return;
    // [B5] Late: counts as missing (unless this process was stalled, see stall.ts).
    if (now > inst.startedAt + path.length * this.opts.roundMs && !this.stall.catchingUp()) return;
    if (value !== "T" && value !== "F") return; // [B5] corrupted: detected, counts as missing
    const key = keyOf(path);
    if (inst.received.has(key)) return; // the first value along a path counts (a replay does not)
    inst.received.set(key, { value, seq: this.arrivals++ });
    if (this.opts.variant === "one-round") {
      // The mistake: a backup stores what the primary told it, relaying nothing.
      if (path.length === 1) this.store(inst, value);
      return;
    }
    // [B4] Relay along the path, to every node not on it.
    if (path.length <= m) {
      const along = [...path, this.node.id];
      for (const peer of this.node.nodeIds)
        if (!along.includes(peer)) this.send(peer, instance, along, value);
    }
  }

  private onRead(msg: Message): void {
    const { instance } = msg.body;
    const decided = typeof instance === "string" ? this.decision(instance) : undefined;
    if (decided === undefined) {
      this.node.error(
        msg,
        ERRORS.keyDoesNotExist,
        `instance ${String(instance)} is not decided here`,
      );
      return;
    }
    this.node.reply(msg, { type: "read_decision_ok", value: decided });
  }

  // [B7] After round m+1: the top instance's value, stored for good.
  private decide(instance: string): void {
    const inst = this.instances.get(instance);
    if (!inst || inst.decided !== undefined) return;
    // Woken from a stall: first read what queued meanwhile (a timer runs before input).
    if (this.stall.catchingUp()) {
      inst.timer = this.node.clock.after(this.stall.graceMs, () => this.decide(instance));
      return;
    }
    const vote = this.resolve(inst, [inst.commander]);
    if (vote) this.store(inst, vote.value);
  }

  private store(inst: Instance, value: Value): void {
    inst.decided = value;
    inst.timer?.cancel();
    inst.received.clear(); // the decision is all that is kept
  }

  /** [B6] The value of the (sub)instance whose commander is the last node of `path`, at
   *  this node (one of its lieutenants). */
  private resolve(inst: Instance, path: string[]): Vote | undefined {
    const own = inst.received.get(keyOf(path)) ?? this.missing();
    if (path.length === this.relayRounds + 1) return own;
    const votes: Vote[] = [];
    for (const j of this.node.nodeIds) {
      if (path.includes(j)) continue;
      const v = j === this.node.id ? own : this.resolve(inst, [...path, j]);
      if (v) votes.push(v);
    }
    return this.majority(votes);
  }

  /** [B5] What a missing message counts as: the default (it arrived last of all). */
  private missing(): Vote {
    return { value: DEFAULT_VALUE, seq: Infinity };
  }

  private majority(votes: Vote[]): Vote | undefined {
    const of = (value: Value) => votes.filter((v) => v.value === value);
    const t = of("T");
    const f = of("F");
    const first = (vs: Vote[]) => vs.reduce((a, b) => (b.seq < a.seq ? b : a));
    if (t.length > f.length) return first(t);
    if (f.length > t.length) return first(f);
    if (votes.length === 0) return undefined;
    // The mistake of no-default: a tie goes to whichever value arrived first.
    if (this.opts.variant === "no-default") return first(votes);
    return { value: DEFAULT_VALUE, seq: first(votes).seq };
  }

  private validPath(path: unknown): path is string[] {
    if (!Array.isArray(path) || path.length === 0) return false;
    const ids = this.node.nodeIds;
    return (
      path.every((n) => typeof n === "string" && ids.includes(n)) &&
      new Set(path).size === path.length
    );
  }

  private send(dest: string, instance: string, path: string[], value: Value): void {
    const body: Body = { type: "om", instance, path, value };
    this.node.send(dest, body);
  }

  private remember(id: string, inst: Instance): void {
    this.instances.set(id, inst);
    if (this.instances.size <= this.opts.keepInstances) return;
    const oldest = this.instances.keys().next().value as string;
    this.instances.get(oldest)?.timer?.cancel();
    this.instances.delete(oldest);
  }
}
