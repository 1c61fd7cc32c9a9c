// A tiny simulated key-value store driven by a stream of random decisions: clients invoke ops,
// the store applies each at some moment between invocation and completion (that moment is the
// linearization point), and completions come back ok, fail (never applied) or info (applied
// now, later, or never). Such histories are linearizable by construction. An anomaly can be
// injected: a short scripted sequence, run atomically by a fresh process, in which the store
// misbehaves; `anomalyIndexes` are the history indexes of those ops.
import type { Op } from "../../histories/op.ts";

export type Workload = "register" | "append";
export type Anomaly = "none" | "stale-read" | "lost-write" | "duplicated-append";

export interface SimConfig {
  workload: Workload;
  keys: number;
  processes: number;
  ops: number;
  /** Random decisions (any non-negative integers); reused cyclically. */
  decisions: number[];
  anomaly: Anomaly;
  /** Where the anomaly's script runs, as a fraction of the op budget (0..1). */
  anomalyAt: number;
}

export interface SimHistory {
  history: Op[];
  anomalyIndexes: number[];
}

interface Pending {
  process: number;
  f: string;
  key: string;
  value: unknown;
  applied: boolean;
  result?: unknown;
  /** A failed cas: it will complete as fail. */
  rejected?: boolean;
}

export function simulate(cfg: SimConfig): SimHistory {
  let d = 0;
  const pick = (n: number) => (n <= 1 ? 0 : cfg.decisions[d++ % cfg.decisions.length] % n);
  const history: Op[] = [];
  const state = new Map<string, unknown>();
  const emit = (op: Omit<Op, "index" | "time">): number => {
    const index = history.length;
    history.push({ index, time: index, ...op } as Op);
    return index;
  };
  let nextProcess = 0;
  const idle: number[] = [];
  for (let i = 0; i < cfg.processes; i++) idle.push(nextProcess++);
  const inFlight: Pending[] = [];
  const limbo: Pending[] = []; // info ops not yet applied: may apply later, or never
  let invoked = 0;
  let uniq = 0;
  let infos = 0;
  const anomalyIndexes: number[] = [];
  const anomalyStep = Math.floor(cfg.anomalyAt * cfg.ops);

  const apply = (p: Pending) => {
    p.applied = true;
    const cur = state.get(p.key) ?? null;
    if (p.f === "read") p.result = cur;
    else if (p.f === "write") state.set(p.key, p.value);
    else if (p.f === "cas") {
      const [from, to] = p.value as [unknown, unknown];
      if (cur === from) state.set(p.key, to);
      else p.rejected = true;
    } else if (p.f === "append")
      state.set(p.key, (cur === null ? "" : String(cur)) + String(p.value));
  };

  const runAnomaly = () => {
    if (cfg.anomaly === "none") return;
    const process = nextProcess++;
    const key = `k${pick(cfg.keys)}`;
    const instant = (f: string, value: unknown, result?: unknown) => {
      anomalyIndexes.push(
        emit({ process, type: "invoke", f, key, value: f === "read" ? null : value }),
      );
      emit({ process, type: "ok", f, key, value: f === "read" ? result : value });
    };
    const a = `<${uniq++}>`;
    const b = `<${uniq++}>`;
    if (cfg.workload === "register") {
      // Two acknowledged writes; the read then returns the first (stale) value, or the second
      // write is lost and the read returns what the first left.
      state.set(key, a);
      instant("write", a);
      if (cfg.anomaly === "stale-read") state.set(key, b);
      instant("write", b);
      instant("read", null, a);
      return;
    }
    const cur = () =>
      state.get(key) === undefined || state.get(key) === null ? "" : String(state.get(key));
    state.set(key, cur() + a);
    if (cfg.anomaly === "duplicated-append") state.set(key, cur() + a);
    instant("append", a);
    if (cfg.anomaly !== "lost-write") state.set(key, cur() + b);
    instant("append", b);
    if (cfg.anomaly === "stale-read")
      instant("read", null, cur().slice(0, cur().length - b.length));
    else instant("read", null, cur());
  };

  let anomalyDone = false;
  for (let guard = 0; guard < 100_000; guard++) {
    if (!anomalyDone && invoked >= anomalyStep) {
      runAnomaly();
      anomalyDone = true;
    }
    const canInvoke = invoked < cfg.ops && idle.length > 0;
    if (!canInvoke && inFlight.length === 0) break;
    const action = pick(canInvoke ? 6 : 5);
    if (action === 5 || (canInvoke && inFlight.length === 0)) {
      const process = idle.splice(pick(idle.length), 1)[0];
      const key = `k${pick(cfg.keys)}`;
      let f: string;
      let value: unknown = null;
      if (cfg.workload === "register") {
        f = ["read", "write", "cas"][pick(3)];
        if (f === "write") value = pick(4);
        if (f === "cas") value = [pick(4), pick(4)];
      } else {
        // Every other op a read: orders of unobserved concurrent appends are all distinct
        // states, so a run of appends with no read between is exponential to check.
        f = invoked % 2 === 0 ? "read" : "append";
        if (f === "append") value = `<${uniq++}>`;
      }
      inFlight.push({ process, f, key, value, applied: false });
      emit({ process, type: "invoke", f, key, value });
      invoked++;
      continue;
    }
    if (action === 4 && limbo.length > 0) {
      apply(limbo.splice(pick(limbo.length), 1)[0]); // a lost-track op takes effect late
      continue;
    }
    if (inFlight.length === 0) continue;
    const i = pick(inFlight.length);
    const p = inFlight[i];
    if (!p.applied && action <= 1) {
      apply(p);
      continue;
    }
    // Complete it: ok (apply now if need be), fail (only if never applied), or info.
    inFlight.splice(i, 1);
    // Appends of unique strings make every order of pending info ops a distinct state, which
    // the search must explore (exponential, see docs/checkers.md): keep few of them there.
    const outcome = pick(5);
    if (outcome === 0 && (cfg.workload !== "append" || infos++ < 2)) {
      // info: applied already, or maybe later
      if (!p.applied) limbo.push(p);
      emit({
        process: p.process,
        type: "info",
        f: p.f,
        key: p.key,
        value: p.value,
        error: "timeout",
      });
      nextProcess++;
      idle.push(nextProcess - 1); // the process is retired; a fresh one takes its place
      continue;
    }
    if (outcome === 1 && !p.applied) {
      emit({ process: p.process, type: "fail", f: p.f, key: p.key, value: p.value, error: 11 });
      idle.push(p.process);
      continue;
    }
    if (!p.applied) apply(p);
    if (p.rejected)
      emit({ process: p.process, type: "fail", f: p.f, key: p.key, value: p.value, error: 22 });
    else
      emit({
        process: p.process,
        type: "ok",
        f: p.f,
        key: p.key,
        value: p.f === "read" ? p.result : p.value,
      });
    idle.push(p.process);
  }
  if (!anomalyDone) runAnomaly();
  return { history, anomalyIndexes };
}
