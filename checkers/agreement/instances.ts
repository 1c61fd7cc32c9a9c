// An agreement history read as instances: for each instance, the primary (the node the
// `propose` went to), the value it was given, how the propose ended, and what each node said
// it stored when `read_decision` asked it (docs/byzantine-agreement.md, "The checker").
//
// Each node's **due read** of an instance is its first read invoked once the bound has passed
// (option `decideWithinMs` after the propose's invoke; with no bound, its first read). The due
// read says whether the node had decided in time (termination); the instance's span, in which
// a faulty node counts as faulty, runs from the propose to the last due read's completion.
// Other reads (the workload asks again about recent instances) count for what a node stored,
// and for whether it ever stored two values (stable).
import { pairHistory } from "../../histories/pair.ts";
import type { Op } from "../../histories/op.ts";
import { jsonKey } from "../elements.ts";

const NS_PER_MS = 1_000_000;

export interface Instance {
  id: string;
  /** The node the propose went to; undefined if the history holds reads of it only. */
  primary?: string;
  /** The value the primary was given. */
  input?: unknown;
  /** How the propose ended: ok (the primary took it), fail, info (unknown), none (no propose). */
  propose: "ok" | "fail" | "info" | "none";
  /** What each node's due read answered: the value it stored, or null when it had decided
   *  nothing. */
  due: Map<string, unknown>;
  /** Nodes whose due read got no answer (info or fail): unknown whether they had decided. */
  unanswered: Set<string>;
  /** Each node's first decided value in any read: what it stores (a decision is final). */
  stored: Map<string, unknown>;
  /** Nodes that answered two different decided values in different reads. */
  changed: Map<string, unknown[]>;
  /** The instance's span on the run clock, ns: the propose's invoke (else the first due
   *  read's) to the last completion of the propose and the due reads (an op never completed
   *  stretches it to the end of the history). */
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

export function parseAgreement(history: Op[], boundMs = 0): ParsedAgreement {
  const instances = new Map<string, Instance>();
  const malformed: ParsedAgreement["malformed"] = [];
  const endNs = history.reduce((t, op) => Math.max(t, op.time), 0);
  const get = (id: string): Instance => {
    let inst = instances.get(id);
    if (!inst) {
      inst = {
        id,
        propose: "none",
        due: new Map(),
        unanswered: new Set(),
        stored: new Map(),
        changed: new Map(),
        fromNs: Infinity,
        toNs: -Infinity,
      };
      instances.set(id, inst);
    }
    return inst;
  };
  const paired = pairHistory(history).filter((p) => p.f === "propose" || p.f === "read_decision");
  const proposedAt = new Map<string, number>();
  for (const p of paired) {
    const id = instanceOf(p.invoke.value);
    if (p.f === "propose" && id !== undefined && !proposedAt.has(id))
      proposedAt.set(id, p.invoke.time);
  }
  /** Nodes whose due read of an instance has been seen, by instance. */
  const dueSeen = new Map<string, Set<string>>();
  for (const p of paired) {
    const id = instanceOf(p.invoke.value);
    const node = p.invoke.node;
    if (id === undefined || typeof node !== "string") {
      malformed.push({ op: p.invoke.index, why: `${p.f} without an instance or a node` });
      continue;
    }
    const inst = get(id);
    const completedNs = p.completion?.time ?? endNs;
    if (p.f === "propose") {
      inst.primary = node;
      inst.input = (p.invoke.value as { value?: unknown }).value;
      inst.propose = p.type;
      inst.fromNs = Math.min(inst.fromNs, p.invoke.time);
      inst.toNs = Math.max(inst.toNs, completedNs);
      continue;
    }
    const answer =
      p.type === "ok" ? ((p.value as { value?: unknown } | null)?.value ?? null) : undefined;
    if (answer !== undefined && answer !== null) {
      const first = inst.stored.get(node);
      if (first === undefined) inst.stored.set(node, answer);
      else if (jsonKey(first) !== jsonKey(answer)) {
        const seen = inst.changed.get(node) ?? [first];
        if (!seen.some((v) => jsonKey(v) === jsonKey(answer))) seen.push(answer);
        inst.changed.set(node, seen);
      }
    }
    const dueAt = (proposedAt.get(id) ?? -Infinity) + boundMs * NS_PER_MS;
    const seen = dueSeen.get(id) ?? new Set<string>();
    dueSeen.set(id, seen);
    if (p.invoke.time < dueAt || seen.has(node)) continue;
    seen.add(node);
    if (answer === undefined) inst.unanswered.add(node);
    else inst.due.set(node, answer);
    inst.fromNs = Math.min(inst.fromNs, p.invoke.time);
    inst.toNs = Math.max(inst.toNs, completedNs);
  }
  for (const inst of instances.values()) {
    if (inst.fromNs === Infinity) inst.fromNs = inst.toNs = 0;
  }
  return { instances, malformed, endNs };
}
