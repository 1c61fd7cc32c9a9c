// The search of `faultline shrink` against fake runs: a predicate says whether a candidate
// fails. It must find the faults that matter (exactly, when one set of them does), cut the
// time limit, lower clients and keys, try flaky candidates again, and keep to its budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { shrink, split, type Candidate } from "../../harness/shrink/search.ts";

/** Faults as numbers 0..n-1 starting every 10 s; a run lasts until 5 s after its last one. */
const faults = (n: number) => Array.from({ length: n }, (_, i) => i);
const timeLimitFor = (fs: readonly number[]) => Math.max(0, ...fs.map((f) => f * 10 + 5)) + 5;
const original = (n: number, extra: Partial<Candidate<number>> = {}): Candidate<number> => ({
  faults: faults(n),
  timeLimitSeconds: n * 10 + 10,
  concurrency: 10,
  keys: 3,
  ...extra,
});
/** A deterministic run that fails when its faults include every one of `needed`. */
const needs = (needed: number[]) => async (c: Candidate<number>) =>
  needed.every((f) => c.faults.includes(f));

test("split: n pieces of nearly equal length, in order, none empty", () => {
  assert.deepEqual(split([1, 2, 3, 4, 5], 2), [
    [1, 2],
    [3, 4, 5],
  ]);
  assert.deepEqual(split([1, 2, 3], 3), [[1], [2], [3]]);
  assert.deepEqual(split([1, 2], 4), [[1], [2]]);
});

test("two faults of eight matter: they are what is left, the time limit cut after the later", async () => {
  const result = await shrink({
    original: original(8),
    run: needs([2, 5]),
    timeLimitFor,
    tries: 1,
    budget: 100,
  });
  assert.deepEqual(result.best.faults, [2, 5]);
  assert.equal(result.best.timeLimitSeconds, 60, "fault 5 starts at 50 s: healed by 55 s, + 5 s");
  assert.equal(result.best.concurrency, 1, "clients do not matter to this failure");
  assert.equal(result.best.keys, 1);
  assert.equal(result.cutShort, false);
  assert.equal(result.trials[0]!.step, "no faults");
  // Each candidate run once: the trials are distinct candidates.
  const keys = result.trials.map((t) => JSON.stringify(t.candidate));
  assert.equal(new Set(keys).size, keys.length, "no candidate tried twice");
});

test("a failure that needs no fault ends with none, after one run of the fault search", async () => {
  const result = await shrink({
    original: original(6),
    run: needs([]),
    timeLimitFor,
    tries: 3,
    budget: 100,
  });
  assert.deepEqual(result.best.faults, []);
  assert.equal(result.best.timeLimitSeconds, 5);
  assert.equal(
    result.trials.filter((t) => t.step !== "fewer clients" && t.step !== "fewer keys").length,
    1,
  );
});

test("faults before the violation: tried before delta debugging", async () => {
  const steps: string[] = [];
  const result = await shrink({
    original: original(8),
    run: needs([1]),
    timeLimitFor,
    tries: 1,
    budget: 100,
    beforeViolation: [0, 1, 2],
    onTrial: (t) => steps.push(`${t.step}: ${t.candidate.faults.join(",")} ${t.failed}`),
  });
  assert.deepEqual(steps.slice(0, 2), [
    "no faults:  false",
    "faults before the violation: 0,1,2 true",
  ]);
  assert.deepEqual(result.best.faults, [1]);
});

test("clients and keys go down while the run fails, and stop where it passes", async () => {
  const result = await shrink({
    original: original(2),
    run: async (c) => c.faults.includes(0) && c.concurrency >= 3 && (c.keys ?? 0) >= 2,
    timeLimitFor,
    tries: 1,
    budget: 100,
  });
  assert.deepEqual(
    [result.best.faults, result.best.concurrency, result.best.keys],
    [[0], 3, 2],
    "10 -> 5 -> 3 fail, 2 passes; 3 -> 2 keys fail, 1 passes",
  );
  const noKeys = await shrink({
    original: original(1, { keys: undefined }),
    run: needs([0]),
    timeLimitFor,
    tries: 1,
    budget: 100,
  });
  assert.equal(noKeys.best.keys, undefined, "a workload without keys");
  assert.ok(noKeys.trials.every((t) => t.step !== "fewer keys"));
});

test("a flaky failure: each candidate is tried again before it is dropped", async () => {
  // The needed faults fail only every other run: with one try the search loses them.
  const flaky = () => {
    let n = 0;
    return async (c: Candidate<number>) =>
      [3, 4].every((f) => c.faults.includes(f)) && n++ % 2 === 1;
  };
  const twice = await shrink({
    original: original(8),
    run: flaky(),
    timeLimitFor,
    tries: 2,
    budget: 200,
  });
  assert.deepEqual(twice.best.faults, [3, 4]);
  const once = await shrink({
    original: original(8),
    run: flaky(),
    timeLimitFor,
    tries: 1,
    budget: 200,
  });
  assert.notDeepEqual(once.best.faults, [3, 4]);
  // A candidate that fails stops at its first failing try; a passing one used both.
  for (const t of twice.trials) assert.equal(t.runs, t.failed ? t.runs : 2);
});

test("the budget bounds the runs; the best so far is kept", async () => {
  let runs = 0;
  const result = await shrink({
    original: original(8),
    run: async (c) => (runs++, [2, 5].every((f) => c.faults.includes(f))),
    timeLimitFor,
    tries: 2,
    budget: 5,
  });
  assert.equal(runs, 5);
  assert.equal(result.runs, 5);
  assert.equal(result.cutShort, true);
  assert.ok(
    [2, 5].every((f) => result.best.faults.includes(f)),
    "still a failing candidate",
  );
  const stopped = new AbortController();
  stopped.abort();
  const none = await shrink({
    original: original(4),
    run: needs([1]),
    timeLimitFor,
    tries: 1,
    budget: 9,
    signal: stopped.signal,
  });
  assert.deepEqual([none.runs, none.cutShort, none.best.faults.length], [0, true, 4]);
});

test("property: when exactly one set of faults makes a run fail, the search finds that set", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .integer({ min: 1, max: 12 })
        .chain((n) => fc.tuple(fc.constant(n), fc.subarray(faults(n)))),
      async ([n, needed]) => {
        const result = await shrink({
          original: original(n),
          run: needs(needed),
          timeLimitFor,
          tries: 1,
          budget: 1000,
        });
        assert.deepEqual(result.best.faults, needed);
        // ddmin's bound: far fewer runs than the 2^n subsets.
        assert.ok(result.runs <= 2 + n * n + 8, `${result.runs} runs for ${n} faults`);
      },
    ),
    { numRuns: 150 },
  );
});
