// Seeded histories of a correct kv store (read/write/cas on small integers) under random
// concurrency: the checker benchmark's cases (a), (b), (c), (r), and tests of big histories.
import type { Op } from "../histories/op.ts";

export interface KvOptions {
  keys: number;
  clients: number;
  ops: number;
  /** Chance that an op ends as info (half of them never take effect). */
  infoRate: number;
  seed: number;
}

/** A seeded history of a correct kv store (read/write/cas) under random concurrency. */
export function kvHistory(o: KvOptions): Op[] {
  let x = o.seed | 0 || 1;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(rand() * n);
  const history: Op[] = [];
  const state = new Map<string, number | null>();
  type Flight = {
    process: number;
    f: string;
    key: string;
    value: unknown;
    applied: boolean;
    result?: unknown;
    rejected?: boolean;
  };
  const clients: (Flight | undefined)[] = new Array(o.clients).fill(undefined);
  const processOf = Array.from({ length: o.clients }, (_, i) => i);
  let nextProcess = o.clients;
  let invoked = 0;
  let inFlight = 0;
  const emit = (process: number, type: Op["type"], f: string, key: string, value: unknown) =>
    history.push({
      index: history.length,
      time: history.length * 1000,
      process,
      type,
      f,
      key,
      value,
    });
  const apply = (p: Flight) => {
    p.applied = true;
    const cur = state.get(p.key) ?? null;
    if (p.f === "read") p.result = cur;
    else if (p.f === "write") state.set(p.key, p.value as number);
    else {
      const [from, to] = p.value as [number, number];
      if (cur === from) state.set(p.key, to);
      else p.rejected = true;
    }
  };
  while (invoked < o.ops || inFlight > 0) {
    const c = int(o.clients);
    const p = clients[c];
    if (!p) {
      if (invoked >= o.ops) continue;
      const key = `k${int(o.keys)}`;
      const r = rand();
      const f = r < 0.5 ? "read" : r < 0.8 ? "write" : "cas";
      const value = f === "read" ? null : f === "write" ? int(5) : [int(5), int(5)];
      clients[c] = { process: processOf[c], f, key, value, applied: false };
      emit(processOf[c], "invoke", f, key, value);
      invoked++;
      inFlight++;
      continue;
    }
    const info = rand() < o.infoRate / 2;
    if (!p.applied && !info) {
      apply(p);
      continue;
    }
    clients[c] = undefined;
    inFlight--;
    if (info || rand() < o.infoRate / 2) {
      emit(p.process, "info", p.f, p.key, p.value);
      processOf[c] = nextProcess++; // retired: the client continues as a fresh process
    } else if (p.rejected) emit(p.process, "fail", p.f, p.key, p.value);
    else emit(p.process, "ok", p.f, p.key, p.f === "read" ? p.result : p.value);
  }
  return history;
}
