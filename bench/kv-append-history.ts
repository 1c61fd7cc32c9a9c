// Seeded histories in the shape of Porcupine's kv benchmark: many clients on a few keys, half
// of the ops appends of short unique strings, half gets, a few puts, no info. A simulated
// store applies each op at one instant (its linearization point) and answers later, as a
// replicated store does: the request reaches the leader after a short network delay and is
// applied on arrival, in order of arrival; the answer comes once the op is committed. So ops
// overlap heavily (every client always has one in flight), most are applied in about the
// order they were invoked, and some are not: a few requests are lost and sent again, applied
// long after their invocation, and a few answers are very slow. Valid by construction;
// `corruptOneGet` makes one invalid.
import type { Op } from "../histories/op.ts";
import { Rng } from "../core/rng.ts";

export interface KvAppendOptions {
  clients: number;
  keys: number;
  ops: number;
  seed: number;
  /** Share of ops that are puts (default 0.03); the rest split evenly: appends and gets. */
  putShare?: number;
  /** Mean network delay before the store applies an op, in units of the mean time from
   *  applying to answering (default 0.1). */
  networkDelay?: number;
  /** Share of requests lost and sent again: applied 1 to 5 units after their invocation
   *  (default 0.01). */
  resent?: number;
  /** Share of answers 3 to 10 times slower than the rest (default 0.05). */
  slowAnswers?: number;
}

interface Flight {
  process: number;
  f: "get" | "put" | "append";
  key: string;
  value: string | null;
  /** When the store applies it, then when the client hears back. */
  applyAt: number;
  doneAt: number;
  applied: boolean;
  result?: string | null;
}

/** A valid history: every get returns what the store held when it was applied (nil for a
 *  key never written). Values are `<process>.<n>;`, so each append is unique. */
export function kvAppendHistory(o: KvAppendOptions): Op[] {
  const rng = Rng.seeded(o.seed);
  const putShare = o.putShare ?? 0.03;
  const networkDelay = o.networkDelay ?? 0.1;
  const resent = o.resent ?? 0.01;
  const slowAnswers = o.slowAnswers ?? 0.05;
  const exp = (mean: number) => -Math.log(1 - rng.float()) * mean;
  const store = new Map<string, string>();
  const history: Op[] = [];
  const flights: Flight[] = [];
  const counts = new Array<number>(o.clients).fill(0);
  let now = 0;
  let invoked = 0;
  const emit = (type: Op["type"], p: Flight, value: unknown) =>
    history.push({
      index: history.length,
      time: Math.round(now * 1e6),
      process: p.process,
      type,
      f: p.f,
      key: p.key,
      value,
    });
  const invoke = (client: number) => {
    const r = rng.float();
    const f = r < putShare ? "put" : r < putShare + (1 - putShare) / 2 ? "append" : "get";
    const applyAt = now + exp(networkDelay) + (rng.float() < resent ? 1 + 4 * rng.float() : 0);
    const answer = exp(1) * (rng.float() < slowAnswers ? 3 + 7 * rng.float() : 1);
    const p: Flight = {
      process: client,
      f,
      key: String(rng.int(0, o.keys - 1)),
      value: f === "get" ? null : `${client}.${counts[client]++};`,
      applyAt,
      doneAt: applyAt + answer,
      applied: false,
    };
    flights.push(p);
    emit("invoke", p, p.value);
    invoked++;
  };
  for (let c = 0; c < o.clients && invoked < o.ops; c++) invoke(c);
  // Events in time order: an op applied, or an op answered (its client then invokes again).
  const eventAt = (p: Flight) => (p.applied ? p.doneAt : p.applyAt);
  while (flights.length > 0) {
    let next = 0;
    for (let i = 1; i < flights.length; i++) {
      if (eventAt(flights[i]) < eventAt(flights[next])) next = i;
    }
    const p = flights[next];
    now = eventAt(p);
    if (!p.applied) {
      p.applied = true;
      const current = store.get(p.key) ?? null;
      if (p.f === "get") p.result = current;
      else if (p.f === "put") store.set(p.key, p.value!);
      else store.set(p.key, (current ?? "") + p.value);
      continue;
    }
    flights.splice(next, 1);
    emit("ok", p, p.f === "get" ? p.result : p.value);
    if (invoked < o.ops) invoke(p.process);
  }
  return history;
}

/** Makes the history invalid: the first get from the middle of the history on that returned
 *  an append (not its first one) completed before the get was invoked now returns the value
 *  without the last such append: a lost append, as a reader sees it. Returns the index of the
 *  corrupted completion. (Callers check the verdict: a put just before the lost append could
 *  in principle excuse it.) */
export function corruptOneGet(history: Op[]): number {
  const invokedAt = new Map<unknown, number>();
  const appendDone = new Map<string, number>(); // value -> index of its completion
  for (let pos = 0; pos < history.length; pos++) {
    const op = history[pos];
    if (op.type === "invoke") invokedAt.set(op.process, pos);
    if (op.type !== "ok") continue;
    if (op.f === "append") appendDone.set(op.value as string, pos);
    if (op.f !== "get" || pos < history.length / 2 || typeof op.value !== "string") continue;
    const parts = op.value.split(";").slice(0, -1);
    const started = invokedAt.get(op.process)!;
    let lost = parts.length - 1;
    while (lost > 0 && !((appendDone.get(`${parts[lost]};`) ?? Infinity) < started)) lost--;
    if (lost === 0) continue;
    parts.splice(lost, 1);
    op.value = parts.map((v) => `${v};`).join("");
    return pos;
  }
  throw new Error("corruptOneGet: no get in the second half read an append completed before it");
}
