// An agreement history read as instances: for each instance, the primary (the node the
// `propose` went to), the value it was given, how the propose ended, and what each node said
// it stored when `read_decision` asked it (docs/checkers.md, "agreement").
import { pairHistory, type PairedOp } from "../../histories/pair.ts";
import type { Op } from "../../histories/op.ts";

/** A stored value as read back: "T", "F" (or whatever the node answered), null = not decided. */
export type Stored = unknown;

export interface Instance {
  id: string;
  /** The node the propose went to; undefined if the history holds reads of it only. */
  primary?: string;
  /** The value the primary was given. */
  input?: unknown;
  /** How the propose ended: ok (the primary took it), fail, info (unknown), none (no propose). */
  propose: "ok" | "fail" | "info" | "none";
  /** What each node answered: the value it stored, or null when it had decided nothing. */
  stored: Map<string, Stored>;
  /** Nodes whose read got no answer (info or fail): what they stored is unknown. */
  unanswered: Set<string>;
  /** The instance's span on the run clock, ns: its first invoke to its last completion (an op
   *  never completed stretches it to the end of the history). */
  fromNs: number;
  toNs: number;
}

export interface ParsedAgreement {
  instances: Map<string, Instance>;
  /** Client ops that do not have the workload's shape (op index and why). */
  malformed: { op: number; why: string }[];
  endNs: number;
}

function instanceOf(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const id = (value as { instance?: unknown }).instance;
  return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
}

export function parseAgreement(history: Op[]): ParsedAgreement {
  const instances = new Map<string, Instance>();
  const malformed: ParsedAgreement["malformed"] = [];
  const endNs = history.reduce((t, op) => Math.max(t, op.time), 0);
  const get = (id: string, at: number): Instance => {
    let inst = instances.get(id);
    if (!inst) {
      inst = {
        id,
        propose: "none",
        stored: new Map(),
        unanswered: new Set(),
        fromNs: at,
        toNs: at,
      };
      instances.set(id, inst);
    }
    return inst;
  };
  const span = (inst: Instance, p: PairedOp) => {
    inst.fromNs = Math.min(inst.fromNs, p.invoke.time);
    inst.toNs = Math.max(inst.toNs, p.completion?.time ?? endNs);
  };
  for (const p of pairHistory(history)) {
    if (p.f !== "propose" && p.f !== "read_decision") continue;
    const id = instanceOf(p.invoke.value);
    const node = p.invoke.node;
    if (id === undefined || typeof node !== "string") {
      malformed.push({ op: p.invoke.index, why: `${p.f} without an instance or a node` });
      continue;
    }
    const inst = get(id, p.invoke.time);
    span(inst, p);
    if (p.f === "propose") {
      inst.primary = node;
      inst.input = (p.invoke.value as { value?: unknown }).value;
      inst.propose = p.type;
      continue;
    }
    if (p.type !== "ok") {
      if (!inst.stored.has(node)) inst.unanswered.add(node);
      continue;
    }
    const value = (p.value as { value?: unknown } | null)?.value ?? null;
    // A node read twice keeps its first decided answer (a decision is stored once).
    if (inst.stored.get(node) === undefined || inst.stored.get(node) === null)
      inst.stored.set(node, value);
    inst.unanswered.delete(node);
  }
  return { instances, malformed, endNs };
}
