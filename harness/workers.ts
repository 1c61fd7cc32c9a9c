// Client workers: `concurrency` logical processes spread over the nodes. Each takes the next op
// from the shared generator, records the invocation, calls its client with an explicit
// timeout, and records the completion. After an `info` completion the process id is retired
// (its op may still take effect at any time) and the worker carries on under a fresh one.
// An op that names a node (`node`: final reads of every node) goes to that node instead of
// the worker's own, over a client the worker keeps for it.
import type { Op, Recorder } from "../histories/op.ts";
import type { NodeInfo } from "../core/runtime.ts";
import type { Client, Completion } from "../targets/types.ts";
import type { Gen, OpSpec } from "./generator/gen.ts";
import type { Rng } from "../core/rng.ts";
import type { Pacer } from "./generator/pacer.ts";
import { RunClock, sleep } from "../core/clock.ts";

export interface WorkerPoolOptions {
  concurrency: number;
  nodes: readonly NodeInfo[];
  openClient(node: NodeInfo): Promise<Client>;
  recorder: Recorder;
  clock: RunClock;
  rng: Rng;
  /** The timeout handed to every client call; past it (plus a grace) the op is `info`. */
  timeoutMs: number;
  /** Called with every completion, for progress counts. */
  onComplete?(op: Op): void;
}

/** Extra time a client gets beyond its own timeout before the worker gives up on it. */
const GRACE_MS = 1000;
const CONNECT_BACKOFF_MS = 200;
/** How often the watchdog looks for calls past their deadline. */
const WATCHDOG_MS = 100;

interface Worker {
  node: NodeInfo;
  process: number;
  /** Clients by node name: the worker's own node, and any other an op named. */
  clients: Map<string, Client>;
  /** The call in flight: when it is overdue (ms on the run clock), and how to settle it as
   *  info. */
  deadline: number;
  settle?: (c: Completion) => void;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private final = false;
  private nextProcess: number;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.workers = Array.from({ length: opts.concurrency }, (_, i) => ({
      node: opts.nodes[i % opts.nodes.length]!,
      process: i,
      clients: new Map(),
      deadline: Infinity,
    }));
    this.nextProcess = opts.concurrency;
  }

  /** Run every worker until `gen` has no more ops or `signal` aborts; ops in flight finish
   *  (each within its timeout) before this resolves. */
  /** `final`: the ops are the final phase's (after every fault healed); each is recorded
   *  with `final: true`, so checkers of convergence know which reads to judge. */
  async run(gen: Gen, signal: AbortSignal, pacer?: Pacer, final = false): Promise<void> {
    this.final = final;
    await Promise.all(this.workers.map((w) => this.loop(w, gen, signal, pacer)));
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    await Promise.all(this.workers.map((w) => this.dropClients(w)));
  }

  /** One worker's loop. The path from a reply to the next request is the harness's overhead
   *  (the node under test waits for it), so it is kept short: one async frame, two clock
   *  reads per op, and the history's lines made later, when the event loop is idle. */
  private async loop(worker: Worker, gen: Gen, signal: AbortSignal, pacer?: Pacer): Promise<void> {
    const { clock, rng, recorder } = this.opts;
    const ctx = { rng, elapsedMs: 0 };
    while (!signal.aborted) {
      ctx.elapsedMs = clock.elapsedMs();
      if (pacer) {
        const wait = pacer.claim(ctx.elapsedMs);
        if (wait > 0) await sleep(wait, signal);
        if (signal.aborted) return;
        ctx.elapsedMs = clock.elapsedMs();
      }
      const spec = gen.next(ctx);
      if (!spec) return;
      const node = spec.node === undefined ? worker.node : this.nodeNamed(spec.node);
      // The invocation's time is the read the generator saw: a little before the request is
      // sent, which only widens the op's window.
      const invoke = recorder.append(this.invocation(worker, node, spec, ctx.elapsedMs));
      const completion = await this.call(worker, node, spec, ctx.elapsedMs);
      worker.settle = undefined; // nothing in flight for the watchdog to settle
      const done = recorder.append(this.completion(invoke, spec, completion));
      this.opts.onComplete?.(done);
      if (completion.type === "info") {
        worker.process = this.nextProcess++;
        // The connection may be what failed (a killed node): reconnect before the next op.
        await this.dropClient(worker, node.name);
      }
    }
  }

  // Plain object literals, not spreads, with `index` already in place (the recorder sets it):
  // ops of one kind share one shape, quick to build and for the history writer to read.
  private invocation(worker: Worker, node: NodeInfo, spec: OpSpec, elapsedMs: number): Op {
    const invoke: Op = {
      index: -1,
      time: RunClock.ns(elapsedMs),
      process: worker.process,
      type: "invoke",
      f: spec.f,
      value: spec.value,
      node: node.name,
    };
    if (spec.key !== undefined) invoke.key = spec.key;
    if (this.final) invoke.final = true;
    return invoke;
  }

  private completion(invoke: Op, spec: OpSpec, completion: Completion): Op {
    const complete: Op = {
      index: -1,
      time: this.opts.clock.nowNs(),
      process: invoke.process,
      type: completion.type,
      f: spec.f,
      // A completion without a value keeps the invoked value (write 3 -> ok write 3).
      value: completion.value !== undefined ? completion.value : spec.value,
      node: invoke.node,
    };
    if (spec.key !== undefined) complete.key = spec.key;
    if (this.final) complete.final = true;
    if (completion.error !== undefined) complete.error = completion.error;
    return complete;
  }

  /** Not `async`: returning a promise from an async function costs extra ticks per op. */
  private call(worker: Worker, node: NodeInfo, spec: OpSpec, nowMs: number): Promise<Completion> {
    const client = worker.clients.get(node.name);
    if (!client) return this.connectThenCall(worker, node, spec);
    return new Promise<Completion>((resolve) => {
      // One shared watchdog instead of a timer per op (cheaper on the hot path): past its
      // deadline a call that the client never answered is settled as info.
      worker.deadline = nowMs + this.opts.timeoutMs + GRACE_MS;
      worker.settle = resolve;
      this.startWatchdog();
      client.invoke(spec, this.opts.timeoutMs).then(resolve, (err) =>
        // The contract says clients do not throw; if one does, the outcome is unknown.
        resolve({ type: "info", error: message(err) }),
      );
    });
  }

  private async connectThenCall(worker: Worker, node: NodeInfo, spec: OpSpec): Promise<Completion> {
    try {
      worker.clients.set(node.name, await this.opts.openClient(node));
    } catch (err) {
      // Nothing was sent, so the op certainly did not happen. Back off a little: the node
      // may be down for a while, and retrying in a tight loop only fills the history.
      await sleep(CONNECT_BACKOFF_MS);
      return { type: "fail", error: `connect: ${message(err)}` };
    }
    return this.call(worker, node, spec, this.opts.clock.elapsedMs());
  }

  private nodeNamed(name: string): NodeInfo {
    const node = this.opts.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`an operation names node ${name}, which this cluster does not have`);
    return node;
  }

  private watchdog?: NodeJS.Timeout;

  private startWatchdog(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => {
      const now = this.opts.clock.elapsedMs();
      let busy = false;
      for (const w of this.workers) {
        if (!w.settle) continue;
        busy = true;
        if (w.deadline <= now) w.settle({ type: "info", error: "timeout" });
      }
      // Idle: stop, so that a finished pool keeps no timer alive; the next call restarts it.
      if (!busy) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
      }
    }, WATCHDOG_MS);
  }

  private async dropClient(worker: Worker, node: string): Promise<void> {
    const client = worker.clients.get(node);
    worker.clients.delete(node);
    await client?.close().catch(() => undefined);
  }

  private async dropClients(worker: Worker): Promise<void> {
    await Promise.all([...worker.clients.keys()].map((node) => this.dropClient(worker, node)));
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
