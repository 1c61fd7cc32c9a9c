// What the nemesis really did, read back from its ops in a history: each fault's span, the
// nodes it hit and how (the node isolated, the nodes killed and those frozen beside them, a
// handover at the heal), and per node the intervals it spent faulted, for the report's table,
// its shaded bands and its faults-by-node chart.
//
// A fault is recorded as four nemesis ops (nemesis/nemesis.ts): its start invoked (value: the
// nodes, detail: what was planned and aimed), the start's completion (error if applying it
// failed), the stop invoked and the stop's completion (detail: what the heal did). Jepsen's
// histories record a fault as `:info` ops `:start` then `:stop`, each twice; they are read the
// same way, as kind "other".
import type { Op } from "../../histories/op.ts";
import { FAULTS } from "../../nemesis/faults/index.ts";

export interface NodeSpan {
  node: string;
  from: number;
  to: number;
  /** What happened to the node: "isolated", "killed", "frozen during the kill", ... */
  what: string;
  /** Drawn lighter: a node held still beside the fault proper (the frozen survivors of a
   *  staggered kill). */
  beside?: boolean;
}

export interface FaultSpan {
  /** The fault kind (nemesis/faults/), or "other" for a nemesis op of an imported history. */
  kind: string;
  /** Seconds since the run started: the start's invocation and the stop's completion (the
   *  end of the history when it was never stopped). */
  from: number;
  to: number;
  /** When applying it completed, and when its heal began, if recorded. */
  appliedAt?: number;
  healAt?: number;
  /** The nodes named in its ops. */
  nodes: string[];
  /** One line: what was applied, to which nodes. */
  applied: string;
  /** What the heal did, when it did more than undo the fault; or that it never healed. */
  healed?: string;
  /** Why applying or healing failed. */
  error?: string;
  /** Per node, when it was faulted and how. */
  spans: NodeSpan[];
}

interface Open {
  span: FaultSpan;
  startF: string;
  stopF: string;
  /** Seen so far: the start's completion, the stop's invocation. */
  startDone: boolean;
  stopInvoked: boolean;
  detail?: unknown;
}

/** How a fault chose its nodes (nemesis/who.ts), in words. */
const WHO: Record<string, string> = {
  one: "one node",
  leader: "the leader",
  minority: "a minority",
  majority: "a majority",
  "leader-majority": "the leader and a majority",
  all: "all nodes",
};

/** start f -> kind and stop f, from the fault registry; Jepsen's generic start/stop last. */
const BY_START = new Map<string, { kind: string; stopF: string }>(
  Object.values(FAULTS).map((f) => [f.startF, { kind: f.kind, stopF: f.stopF }]),
);
const GENERIC = { kind: "other", stopF: "stop" };

/** Every fault of the history, in order of start. */
export function faultSpans(history: readonly Op[]): FaultSpan[] {
  const open: Open[] = [];
  const done: Open[] = [];
  let last = 0;
  for (const op of history) {
    last = Math.max(last, op.time / 1e9);
    if (op.process !== "nemesis") continue;
    const t = op.time / 1e9;
    // A stop: the oldest open fault this f stops (our kill's stop is `start`, Jepsen's start).
    const stopping = open.find((o) => o.stopF === op.f);
    if (stopping) {
      // The first of its pair (ours: `invoke`; Jepsen's: the first `:info`) begins the heal.
      if (!stopping.stopInvoked) {
        stopping.stopInvoked = true;
        stopping.startDone = true;
        stopping.span.healAt = t;
        continue;
      }
      // The stop's completion.
      stopping.span.to = t;
      if (op.error !== undefined) stopping.span.error = `heal failed: ${text(op.error)}`;
      finish(stopping, op.detail);
      open.splice(open.indexOf(stopping), 1);
      done.push(stopping);
      continue;
    }
    const starting = BY_START.get(op.f) ?? (op.f === "start" ? GENERIC : undefined);
    if (!starting) continue;
    const pending = open.find((o) => o.startF === op.f && !o.startDone);
    if (pending && op.type !== "invoke") {
      // The start's completion.
      pending.startDone = true;
      pending.span.appliedAt = t;
      if (op.error !== undefined) pending.span.error = `not applied: ${text(op.error)}`;
      if (op.detail !== undefined) pending.detail = op.detail;
      // Jepsen's completion says what was done ("Cut off {:n1 #{:n2}}").
      if (pending.span.kind === "other" && op.value !== undefined && op.value !== null)
        pending.span.applied = `${op.f} ${text(op.value)}`;
      continue;
    }
    open.push({
      span: {
        kind: starting.kind,
        from: t,
        to: t,
        nodes: nodesOf(op.value),
        applied: "",
        spans: [],
      },
      startF: op.f,
      stopF: starting.stopF,
      startDone: false,
      stopInvoked: false,
      detail: op.detail,
    });
    if (starting.kind === "other") open.at(-1)!.span.applied = `${op.f} ${text(op.value)}`.trim();
  }
  for (const o of open) {
    // Never stopped: in effect to the end of the history (a run cut short), or to its stop's
    // invocation when only that was recorded.
    o.span.to = o.span.healAt ?? last;
    finish(o, undefined);
    if (o.span.healAt === undefined) o.span.healed = "not healed by the end of the history";
    done.push(o);
  }
  return done.map((o) => o.span).sort((a, b) => a.from - b.from);
}

/** Fill in what was applied, the heal and the per-node spans, by kind. */
function finish(o: Open, healDetail: unknown): void {
  const s = o.span;
  const d = (o.detail ?? {}) as Record<string, unknown>;
  const heal = (healDetail ?? {}) as Record<string, unknown>;
  const on = s.appliedAt ?? s.from;
  const off = s.healAt ?? s.to;
  const who = typeof d.who === "string" ? ` (${WHO[d.who] ?? d.who})` : "";
  const nodes = s.nodes.join(",");
  const each = (what: string, from = on, to = off) =>
    s.nodes.map((node) => ({ node, from, to, what }));
  switch (s.kind) {
    case "partition": {
      const grudge = isGrudge(d.grudge) ? d.grudge : undefined;
      const shape = typeof d.shape === "string" ? `${d.shape}: ` : "";
      const cut = grudge
        ? describeGrudge(grudge)
        : { text: nodes, cutOff: s.nodes, what: () => "partitioned" };
      s.applied = `${shape}${cut.text}`;
      const leader = typeof heal.isolatedLeaderFirst === "string" ? heal.isolatedLeaderFirst : "";
      // A handover reconnects the isolated node at the heal and cuts the leader off instead.
      s.spans = cut.cutOff.map((node) => ({ node, from: on, to: off, what: cut.what(node) }));
      if (leader) {
        s.healed = `handover: ${leader}, leading, was isolated first, then the network healed`;
        s.spans.push({ node: leader, from: off, to: s.to, what: "isolated (handover)" });
      }
      return;
    }
    case "kill": {
      const frozen = Array.isArray(d.frozen) ? (d.frozen as string[]) : [];
      s.applied = `killed ${nodes}${who}${frozen.length ? `; ${frozen.join(",")} frozen from before the kill until after the restart` : ""}`;
      s.spans = [
        ...each("killed"),
        ...frozen.map((node) => ({
          node,
          from: s.from,
          to: s.to,
          what: "frozen during the kill",
          beside: true,
        })),
      ];
      if ("restartedLeader" in heal)
        s.healed =
          typeof heal.restartedLeader === "string"
            ? `restarted; ${heal.restartedLeader} led the restarted nodes before ${frozen.join(",") || "the others"} resumed`
            : "restarted; no restarted node led in time, the frozen nodes resumed regardless";
      return;
    }
    case "pause":
      s.applied = `froze ${nodes}${who}`;
      s.spans = each("paused");
      return;
    case "clock": {
      const offset = typeof d.offsetSeconds === "number" ? d.offsetSeconds : undefined;
      const shown = offset === undefined ? "skewed" : `${offset > 0 ? "+" : ""}${offset} s`;
      s.applied = `clock of ${nodes}${who} ${offset === undefined ? "skewed" : `offset by ${shown}`}`;
      s.spans = each(`clock ${shown}`);
      return;
    }
    case "loss": {
      const p = typeof d.probability === "number" ? `${Math.round(d.probability * 100)}%` : "some";
      s.applied = `${p} of the packets between ${nodes}${who} and their peers dropped`;
      s.spans = each(`${p} packet loss`);
      return;
    }
    case "send-omission":
      s.applied = `${nodes}${who} dropped every message to their peers`;
      s.spans = each("sends nothing");
      return;
    case "receive-omission":
      s.applied = `${nodes}${who} dropped every message from their peers`;
      s.spans = each("receives nothing");
      return;
    case "delay": {
      const ms = typeof d.ms === "number" ? `${d.ms} ms` : "some time";
      const jitter = typeof d.jitter_ms === "number" ? ` ± ${d.jitter_ms} ms` : "";
      s.applied = `messages of ${nodes}${who} to their peers delayed by ${ms}${jitter}`;
      s.spans = each(`messages delayed ${ms}${jitter}`);
      return;
    }
    case "duplicate": {
      const p = typeof d.probability === "number" ? `${Math.round(d.probability * 100)}%` : "some";
      const copies = typeof d.copies === "number" ? d.copies : 1;
      s.applied = `${p} of the messages of ${nodes}${who} delivered ${copies + 1} times`;
      s.spans = each(`${p} messages duplicated`);
      return;
    }
    case "reorder": {
      const hold = typeof d.hold === "number" ? `${d.hold} at a time` : "in batches";
      s.applied = `messages of ${nodes}${who} held ${hold} and delivered newest first`;
      s.spans = each("messages reordered");
      return;
    }
    case "byzantine": {
      const behaviours = (d.behaviours ?? {}) as Record<string, unknown>;
      const how = (node: string) =>
        typeof behaviours[node] === "string" ? String(behaviours[node]) : "lies";
      s.applied = `traitors: ${s.nodes.map((n) => `${n} ${how(n)}`).join(", ")}`;
      s.spans = s.nodes.map((node) => ({ node, from: on, to: off, what: `traitor: ${how(node)}` }));
      return;
    }
    case "other":
      s.spans = each(s.applied || "fault");
      return;
    default:
      s.applied = `${s.kind} ${nodes}${o.detail !== undefined ? ` ${text(o.detail)}` : ""}`;
      s.spans = each(s.kind);
  }
}

type Grudge = Record<string, string[]>;

function isGrudge(v: unknown): v is Grudge {
  return (
    v !== null && typeof v === "object" && Object.values(v as object).every((x) => Array.isArray(x))
  );
}

/**
 * A grudge (node -> the nodes it drops) in words, and the nodes cut off from the rest. Sides
 * that see only each other: "n3 isolated from n1,n2,n4,n5", "n1,n2 | n3,n4,n5" (the nodes
 * outside the largest side are the ones cut off). Otherwise what each node sees.
 */
export function describeGrudge(grudge: Grudge): {
  text: string;
  cutOff: string[];
  what(node: string): string;
} {
  const all = [...new Set([...Object.keys(grudge), ...Object.values(grudge).flat()])].sort(byNode);
  const sees = new Map(
    all.map((n) => [n, all.filter((m) => !(grudge[n] ?? []).includes(m)).join(",")]),
  );
  const sides = [...new Set(sees.values())];
  const isSides = all.every((n) =>
    sees
      .get(n)!
      .split(",")
      .every((m) => sees.get(m) === sees.get(n)),
  );
  if (isSides && sides.length > 1) {
    const bySize = sides.map((s) => s.split(",")).sort((a, b) => b.length - a.length);
    const unique = bySize.length > 1 && bySize[0]!.length > bySize[1]!.length;
    const cutOff = unique ? bySize.slice(1).flat() : all;
    const text =
      bySize.length === 2 && bySize[1]!.length === 1
        ? `${bySize[1]![0]} isolated from ${bySize[0]!.join(",")}`
        : bySize.map((s) => s.join(",")).join(" | ");
    return {
      text,
      cutOff: cutOff.sort(byNode),
      what: (node) =>
        bySize.length === 2 && bySize[1]!.length === 1 && node === bySize[1]![0]
          ? "isolated"
          : `partitioned with ${sees.get(node)}`,
    };
  }
  const cutOff = all.filter((n) => (grudge[n] ?? []).length > 0 || sees.get(n) !== all.join(","));
  return {
    text: all.map((n) => `${n} sees ${sees.get(n)}`).join("; "),
    cutOff,
    what: (node) => `sees ${sees.get(node)}`,
  };
}

/** n1, n2, ..., n10 in that order. */
export function byNode(a: string, b: string): number {
  const na = /^n(\d+)$/.exec(a);
  const nb = /^n(\d+)$/.exec(b);
  return na && nb ? Number(na[1]) - Number(nb[1]) : a.localeCompare(b);
}

function nodesOf(value: unknown): string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string")
    ? [...(value as string[])].sort(byNode)
    : [];
}

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s =
    typeof v === "string"
      ? v
      : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
