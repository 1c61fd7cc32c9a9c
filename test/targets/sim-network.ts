// A deterministic in-process network for testing node code without Docker: simulated time,
// seeded delivery delays and drops, partitions, crashes and restarts. It drives the real
// Node and Raft classes through the same message interface the node host uses.
import type { Clock, Message, Timer } from "../../targets/lib/node.ts";
import { Node } from "../../targets/lib/node.ts";
import { InterceptorChain } from "../../targets/host/interceptors/chain.ts";
import type { MessageRule } from "../../targets/host/interceptors/rule.ts";
import { SentLog } from "../../targets/host/interceptors/sent-log.ts";

/** A small seeded generator (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

export interface SimOptions {
  seed: number;
  /** Delivery delay in ms, uniform in [min, max). */
  delayMs?: [number, number];
  /** Probability that a message is lost. */
  dropRate?: number;
  /** The target's value fields and authentication (ByzantineSpec), for traitors' rules. */
  valueFields?: string[];
  /** Drop a message whose `src` is not the node that sent it (a forge), as the hosts of an
   *  authenticated target do; counted in `forged`. */
  authenticated?: boolean;
}

export class SimNetwork {
  now = 0;
  readonly random: () => number;
  /** Replies addressed to clients (dest not a node), in arrival order. */
  readonly clientInbox: Message[] = [];
  private queue: Event[] = [];
  private seq = 0;
  private nodes = new Map<string, { node: Node; epoch: number }>();
  private epochs = new Map<string, number>();
  /** Pairs "a>b" whose messages are dropped. */
  private cut = new Set<string>();
  /** Paused nodes, with what would have run in them meanwhile (timers, deliveries). */
  private held = new Map<string, (() => void)[]>();
  /** The node hosts' interceptor rules (targets/host/interceptors/), by sending node. */
  private chains = new Map<string, InterceptorChain>();
  private sentLogs = new Map<string, SentLog>();
  /** Forged messages dropped (authenticated only). */
  forged = 0;

  constructor(
    readonly nodeIds: string[],
    readonly opts: SimOptions,
  ) {
    this.random = seededRandom(opts.seed);
  }

  schedule(delayMs: number, run: () => void): Timer {
    const ev: Event = { at: this.now + delayMs, seq: this.seq++, run };
    this.queue.push(ev);
    return { cancel: () => (ev.run = () => {}) };
  }

  /** A clock whose timers die with the node incarnation that set them. */
  private clockFor(id: string, epoch: number): Clock {
    return {
      now: () => this.now,
      random: this.random,
      after: (ms, fn) =>
        this.schedule(ms, () => {
          if (this.epochs.get(id) === epoch) this.inNode(id, fn);
        }),
    };
  }

  /** Start (or restart) node `id`: `setup` attaches the protocol to a fresh Node. */
  start(id: string, setup: (node: Node) => void): Node {
    const epoch = (this.epochs.get(id) ?? 0) + 1;
    this.epochs.set(id, epoch);
    const node = new Node(
      (msg) => this.send(msg),
      this.clockFor(id, epoch),
      () => {},
    );
    setup(node);
    this.nodes.set(id, { node, epoch });
    node.receive({
      src: "sim",
      dest: id,
      body: { type: "init", msg_id: 0, node_id: id, node_ids: this.nodeIds },
    });
    return node;
  }

  /** Crash a node: its timers stop and messages to it are lost until it starts again. */
  crash(id: string): void {
    this.nodes.delete(id);
    this.held.delete(id);
    this.epochs.set(id, (this.epochs.get(id) ?? 0) + 1);
  }

  /** Freeze a node (SIGSTOP, the cgroup freezer): its timers and the messages that reach it
   *  wait, in order, until it resumes; it keeps its state. */
  pause(id: string): void {
    if (!this.held.has(id)) this.held.set(id, []);
  }

  /** Thaw a node: what waited runs now, in the order it would have. */
  resume(id: string): void {
    const waiting = this.held.get(id) ?? [];
    this.held.delete(id);
    for (const run of waiting) this.schedule(0, run);
  }

  /** Run `fn` in node `id` now, or when it resumes if it is paused. */
  inNode(id: string, fn: () => void): void {
    const waiting = this.held.get(id);
    if (waiting) waiting.push(fn);
    else fn();
  }

  node(id: string): Node | undefined {
    return this.nodes.get(id)?.node;
  }

  /** Cut both directions between every node of `a` and every node of `b`. */
  partition(a: string[], b: string[]): void {
    for (const x of a) for (const y of b) this.cut.add(`${x}>${y}`).add(`${y}>${x}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Set node `id`'s interceptor rules, as `host_rules` does in its host (empty: heal): a
   *  traitor (flip, equivocate, forge, replay, silent) or a bad network (drop, delay,
   *  duplicate, reorder) for what it sends its peers. */
  setRules(id: string, rules: MessageRule[]): void {
    const old = this.chains.get(id);
    this.chains.delete(id);
    if (rules.length > 0) {
      if (!this.sentLogs.has(id)) this.sentLogs.set(id, new SentLog());
      const log = this.sentLogs.get(id)!;
      const chain = new InterceptorChain(
        rules.map((r, i) => ({ seed: Math.floor(this.random() * 2 ** 30) + i, ...r })),
        {
          self: id,
          peers: this.nodeIds.filter((n) => n !== id),
          ...(this.opts.valueFields ? { valueFields: this.opts.valueFields } : {}),
          sentBefore: (dest) => log.to(dest),
          later: (fn, ms) => void this.schedule(ms, fn),
        },
        (out) => this.schedule(out.delayMs, () => this.transmit(out.msg, id)),
      );
      this.chains.set(id, chain);
    }
    old?.flush();
  }

  send(msg: Message): void {
    if (msg.dest === "sim") return; // init_ok
    if (!this.nodeIds.includes(msg.dest)) {
      this.clientInbox.push(msg);
      return;
    }
    const chain = this.chains.get(msg.src);
    if (this.nodeIds.includes(msg.src)) {
      if (!this.sentLogs.has(msg.src)) this.sentLogs.set(msg.src, new SentLog());
      if (chain) chain.send(msg);
      this.sentLogs.get(msg.src)!.add(msg);
      if (chain) return;
    }
    this.transmit(msg, msg.src);
  }

  /** Put a message on the network; `from` is the node that really sent it. */
  private transmit(msg: Message, from: string): void {
    if (this.opts.authenticated && msg.src !== from && this.nodeIds.includes(from)) {
      this.forged++;
      return;
    }
    if (this.cut.has(`${from}>${msg.dest}`)) return;
    if (this.random() < (this.opts.dropRate ?? 0)) return;
    const [min, max] = this.opts.delayMs ?? [1, 10];
    const copy = JSON.parse(JSON.stringify(msg)) as Message;
    this.schedule(min + this.random() * (max - min), () => this.deliver(copy, from));
  }

  /** A client request straight to a node (no network loss). */
  clientRequest(client: string, dest: string, body: Message["body"]): void {
    this.schedule(0, () => this.deliver({ src: client, dest, body }));
  }

  private deliver(msg: Message, from = msg.src): void {
    const cut = this.cut.has(`${from}>${msg.dest}`);
    if (cut) return; // a partition also drops what was in flight
    const target = this.nodes.get(msg.dest);
    if (target) this.inNode(msg.dest, () => target.node.receive(msg));
  }

  /** Run events until simulated time reaches `ms` later than now. */
  run(ms: number, afterEach?: () => void): void {
    const until = this.now + ms;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.queue.length; i++) {
        const e = this.queue[i];
        if (e.at > until) continue;
        if (best < 0) best = i;
        else {
          const b = this.queue[best];
          if (e.at < b.at || (e.at === b.at && e.seq < b.seq)) best = i;
        }
      }
      if (best < 0) break;
      const ev = this.queue[best];
      this.queue.splice(best, 1);
      this.now = ev.at;
      ev.run();
      afterEach?.();
    }
    this.now = until;
  }
}
