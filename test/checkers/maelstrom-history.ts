// Hand-written histories for the checkers of Maelstrom's workloads: a small builder whose clock
// advances 1 ms per event, so latencies come out in whole milliseconds, and a simulation of a
// correct grow-only system (broadcast, g-set) with delayed delivery for property tests.
import type { Op, OpType } from "../../histories/op.ts";

const MS = 1_000_000;

export class History {
  readonly ops: Op[] = [];
  private nextProcess = 0;
  /** Current time in ms; each event advances it by 1 unless set. */
  now = 0;

  private push(op: Omit<Op, "index" | "time">, extra: Partial<Op> = {}): Op {
    const full = { index: this.ops.length, time: this.now * MS, ...op, ...extra } as Op;
    this.ops.push(full);
    this.now++;
    return full;
  }

  /** Start an op; returns its process, to complete it later with `end`. */
  begin(f: string, value?: unknown, node?: string, extra: Partial<Op> = {}): number {
    const process = this.nextProcess++;
    const op: Omit<Op, "index" | "time"> = { process, type: "invoke", f };
    if (value !== undefined) op.value = value;
    if (node !== undefined) op.node = node;
    this.push(op, extra);
    return process;
  }

  end(
    process: number,
    type: Exclude<OpType, "invoke">,
    f: string,
    value?: unknown,
    node?: string,
    extra: Partial<Op> = {},
  ): Op {
    const op: Omit<Op, "index" | "time"> = { process, type, f };
    if (value !== undefined) op.value = value;
    if (node !== undefined) op.node = node;
    return this.push(op, extra);
  }

  /** An op invoked and completed at once; `result` is the completion's value (default the
   *  invoked one). Returns the completion. */
  op(
    f: string,
    type: Exclude<OpType, "invoke">,
    value?: unknown,
    node?: string,
    result: unknown = value,
    extra: Partial<Op> = {},
  ): Op {
    const p = this.begin(f, value, node, extra);
    return this.end(p, type, f, result, node, extra);
  }

  /** An ok read on `node` returning `value`. */
  read(node: string, value: unknown, extra: Partial<Op> = {}): Op {
    return this.op("read", "ok", undefined, node, value, extra);
  }

  nemesis(f: string, value?: unknown): void {
    const op: Omit<Op, "index" | "time"> = { process: "nemesis", type: "info", f };
    if (value !== undefined) op.value = value;
    this.push(op);
  }
}

export interface GrowOnlySim {
  nodes: number;
  /** One step per entry: an add (outcome, per-node delivery delays in steps) or a read. */
  steps: (
    | { kind: "add"; outcome: "ok" | "info" | "fail"; applied: boolean; delays: number[] }
    | { kind: "read"; node: number }
  )[];
}

/** A correct grow-only system: an add that took effect (ok, or info and `applied`) reaches
 *  node i `delays[i]` steps later; a read returns what reached its node; after the main phase
 *  every node is read twice, once everything has arrived. Returns the history and which ok
 *  elements exist (to break one in tests). */
export function simulateGrowOnly(sim: GrowOnlySim, addF: string) {
  const h = new History();
  const nodes = Array.from({ length: sim.nodes }, (_, i) => `n${i + 1}`);
  const arrivals: { value: number; at: number[] }[] = [];
  let fresh = 0;
  const contents = (node: number, step: number) =>
    arrivals.filter((a) => a.at[node]! <= step).map((a) => a.value);
  sim.steps.forEach((s, step) => {
    if (s.kind === "read") {
      const node = s.node % sim.nodes;
      h.read(nodes[node]!, contents(node, step));
      return;
    }
    const value = fresh++;
    h.op(addF, s.outcome, value, nodes[step % sim.nodes]);
    if (s.outcome === "ok" || (s.outcome === "info" && s.applied))
      arrivals.push({ value, at: nodes.map((_, i) => step + (s.delays[i] ?? 0)) });
  });
  const end = sim.steps.length + 1_000;
  for (let round = 0; round < 2; round++) nodes.forEach((n, i) => h.read(n, contents(i, end)));
  return { history: h.ops, nodes };
}

/** The completion of the last ok read of `node` (its final state for the checkers). */
export function lastRead(history: Op[], node: string): Op {
  for (let i = history.length - 1; i >= 0; i--) {
    const op = history[i]!;
    if (op.f === "read" && op.type === "ok" && op.node === node) return op;
  }
  throw new Error(`no ok read of ${node}`);
}
