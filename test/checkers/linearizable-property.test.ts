// Property tests: histories of a simulated store run under random concurrency, with random
// info and fail outcomes, are linearizable; with one injected anomaly they are not, and the
// explanation names an op of the anomaly.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import { simulate, type Anomaly, type SimConfig, type Workload } from "./sim.ts";

function config(workload: Workload, anomaly: Anomaly): fc.Arbitrary<SimConfig> {
  return fc.record({
    workload: fc.constant(workload),
    keys: fc.integer({ min: 1, max: 3 }),
    processes: fc.integer({ min: 1, max: 6 }),
    ops: fc.integer({ min: 1, max: 60 }),
    decisions: fc.array(fc.nat(), { minLength: 1, maxLength: 300 }),
    anomaly: fc.constant(anomaly),
    anomalyAt: fc.double({ min: 0, max: 1, noNaN: true }),
  });
}

for (const workload of ["register", "append"] as const) {
  test(`${workload}: histories of a correct store are linearizable`, async () => {
    await fc.assert(
      fc.asyncProperty(config(workload, "none"), async (cfg) => {
        const { history } = simulate(cfg);
        const r = await checkLinearizable(history, { model: "kv", timeLimitMs: 3_000 });
        assert.equal(r.valid, true, `expected valid, got ${r.valid}: ${r.reason}`);
      }),
      { numRuns: 150, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    );
  });

  const anomalies: Anomaly[] =
    workload === "register"
      ? ["stale-read", "lost-write"]
      : ["stale-read", "lost-write", "duplicated-append"];
  for (const anomaly of anomalies) {
    test(`${workload}: an injected ${anomaly} is found and named`, async () => {
      await fc.assert(
        fc.asyncProperty(config(workload, anomaly), async (cfg) => {
          const { history, anomalyIndexes } = simulate(cfg);
          const r = await checkLinearizable(history, { model: "kv", timeLimitMs: 3_000 });
          assert.equal(r.valid, false, `expected invalid, got ${r.valid}: ${r.reason}`);
          const named = [r.explanation!.op, ...r.explanation!.conflicting].map((o) => o.index);
          assert.ok(
            named.some((i) => anomalyIndexes.includes(i)),
            `explanation names ${named.join(",")}, anomaly ops are ${anomalyIndexes.join(",")}`,
          );
        }),
        { numRuns: 100, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
      );
    });
  }
}
