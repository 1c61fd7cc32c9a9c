// The search against brute force: on small random histories, valid or not, the checker's
// verdict is the one found by trying every order of the ops. This guards what the search
// prunes (reads linearized as soon as they can be, reads ruled out early through the model's
// Growth, the memo's dominance of info sets): none of it may change a verdict.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Op } from "../../histories/op.ts";
import { pairHistory } from "../../histories/pair.ts";
import { checkLinearizable, createModel } from "../../checkers/linearizable/index.ts";
import { INCONSISTENT, type Model } from "../../checkers/linearizable/models/model.ts";

type Flavour = "append" | "register";

/** A small history from random decisions: a store applies each op at some moment between its
 *  invocation and its completion, and a read returns what it held then, or (one time in
 *  three) something else; ops complete ok, info, fail, or never. */
function randomHistory(flavour: Flavour, processes: number, decisions: number[]): Op[] {
  let d = 0;
  const pick = (n: number) => (n <= 1 ? 0 : decisions[d++ % decisions.length] % n);
  const history: Op[] = [];
  let state: unknown = null;
  type Flight = { process: number; f: string; value: unknown; result?: unknown; done: boolean };
  const flights = new Map<number, Flight>();
  const reads = flavour === "append" ? ["", "a", "ab", "ba", "abc", "x", "xa", "b"] : [0, 1, 2];
  const emit = (process: number, type: Op["type"], f: string, value: unknown) =>
    history.push({ index: history.length, time: history.length, process, type, f, value });
  for (let step = 0; step < 30 && history.length < 24; step++) {
    const process = pick(processes);
    const p = flights.get(process);
    if (!p) {
      const r = pick(5);
      let f: string;
      let value: unknown = null;
      if (flavour === "append") {
        f = r < 2 ? "get" : r < 4 ? "append" : "put";
        if (f === "append") value = "abc"[pick(3)];
        if (f === "put") value = pick(2) ? "x" : "";
      } else {
        f = r < 2 ? "read" : r < 4 ? "write" : "cas";
        if (f === "write") value = pick(3);
        if (f === "cas") value = [pick(3), pick(3)];
      }
      flights.set(process, { process, f, value, done: false });
      emit(process, "invoke", f, f === "get" || f === "read" ? null : value);
      continue;
    }
    if (!p.done && pick(2)) {
      p.done = true; // the store applies it now
      if (p.f === "get" || p.f === "read") p.result = state;
      else if (p.f === "append") state = String(state ?? "") + p.value;
      else if (p.f === "put" || p.f === "write") state = p.value;
      else if (p.f === "cas") {
        const [from, to] = p.value as [unknown, unknown];
        if (state === from) state = to;
        else p.result = "refused";
      }
      continue;
    }
    flights.delete(process);
    const outcome = pick(6);
    if (outcome === 0) emit(process, "info", p.f, p.value);
    else if (outcome === 1 && !p.done) emit(process, "fail", p.f, p.value);
    else if (p.done && p.result === "refused") emit(process, "fail", p.f, p.value);
    else if (p.done && (p.f === "get" || p.f === "read"))
      emit(process, "ok", p.f, pick(3) ? p.result : reads[pick(reads.length)]);
    else if (p.done) emit(process, "ok", p.f, p.value);
    else flights.set(process, p); // not applied yet: it cannot complete ok
  }
  return history;
}

/** Is there an order of the ops, consistent with real time, that the model accepts? Tries
 *  them all: every ok op must be in it; info ops (and ops never completed) may be or not. */
function bruteForce(model: Model, history: Op[]): boolean {
  const ops = pairHistory(history).filter((p) => p.type !== "fail");
  const used = new Array<boolean>(ops.length).fill(false);
  const okCount = ops.filter((p) => p.type === "ok").length;
  const tryFrom = (state: unknown, okUsed: number): boolean => {
    if (okUsed === okCount) return true;
    for (let i = 0; i < ops.length; i++) {
      if (used[i]) continue;
      // Every ok op completed before this one was invoked must already be in the order.
      const ready = ops.every(
        (q, j) => used[j] || q.type !== "ok" || q.completePos > ops[i].invokePos,
      );
      if (!ready) continue;
      const op = { f: ops[i].f, value: ops[i].value, unknownResult: ops[i].type !== "ok" };
      const after = model.step(state, op);
      if (after === INCONSISTENT) continue;
      used[i] = true;
      const found = tryFrom(after, okUsed + (ops[i].type === "ok" ? 1 : 0));
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return tryFrom(model.init, 0);
}

for (const [flavour, modelName] of [
  ["append", "kv"],
  ["register", "cas-register"],
] as const) {
  test(`${flavour}: the verdict is brute force's on small random histories`, async () => {
    const model = createModel(modelName);
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 120 }),
        async (processes, decisions) => {
          const history = randomHistory(flavour, processes, decisions);
          const expected = bruteForce(model, history);
          if (!expected) invalid++;
          const r = await checkLinearizable(history, { model: modelName, timeLimitMs: 5_000 });
          assert.equal(r.valid, expected, `the checker says ${r.valid}: ${r.reason}`);
        },
      ),
      { numRuns: 1000 },
    );
    // Both verdicts must have been exercised.
    assert.ok(invalid > 50 && invalid < 950, `${invalid} of 1000 histories were invalid`);
  });
}
