// byzantine-agreement end to end, through the real CLI and real containers (needs a Docker
// engine and the node image from `make setup`, and fails saying so otherwise), under the
// `byzantine` nemesis with faults every 2 s (more traitor windows in a short run): OM(1) on 4
// nodes with one traitor keeps BA1 and BA2; 3 nodes with one traitor break them (3k is not
// enough); each broken variant is caught (no-default on 7 nodes: with 4 a backup's three
// values never tie). One seed each; bench/byzantine-agreement.bench.ts measures catch rates
// of default runs over unseen seeds.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";
import { EXIT } from "../../core/errors.ts";
import type { AgreementResult } from "../../checkers/agreement/index.ts";

const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-byz-"));

before(async () => {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
});

/** A run of the target through the CLI under its default nemesis (byzantine), faults every
 *  2 s; with --test-count, the last run stored is the one that ended the series. */
async function run(args: string[]) {
  const all = ["run", "--store", store, "--target", "byzantine-agreement"];
  all.push("--nemesis-interval", "2", ...args);
  const r = await execa(join(root, "bin/faultline"), all, { cwd: root, reject: false, all: true });
  const dir = [...(r.all ?? "").matchAll(/Stored in (\S+)/g)].at(-1)?.[1];
  assert.ok(dir, `the run was stored:\n${r.all}`);
  const stored = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  return {
    code: r.exitCode,
    output: r.all ?? "",
    result: stored.results.agreement as AgreementResult,
  };
}

test("OM(1) on 4 nodes with one traitor anywhere: BA1, BA2, termination and stable hold", async () => {
  const r = await run(["--time-limit", "20", "--seed", "31"]);
  assert.match(r.output, /nemesis byzantine/);
  assert.equal(r.code, EXIT.valid, r.output);
  const windows = Object.values(r.result.faults.traitors).reduce((a, b) => a + b, 0);
  assert.ok(windows >= 3, JSON.stringify(r.result.faults));
  assert.ok(r.result.instances.judged > 150, JSON.stringify(r.result.instances));
  assert.ok(r.result.instances.faultyPrimary > 10, JSON.stringify(r.result.instances));
});

test("3 nodes with one traitor (--byzantine 1): BA1 or BA2 broken, as the source shows", async () => {
  const r = await run(["--nodes", "3", "--byzantine", "1", "--time-limit", "15", "--seed", "32"]);
  assert.equal(r.code, EXIT.invalid, r.output);
  assert.match(r.result.reason ?? "", /BA1|BA2/);
  assert.match(r.output, /BA2 \(if the primary is nonfaulty.*\): violated|BA1 .*: violated/);
});

const CAUGHT: [variant: string, seed: number, args: string[], property: RegExp][] = [
  // A traitor primary that equivocates splits the backups; one whose rules change between
  // its sends tells some backups nothing (termination).
  ["one-round", 33, [], /BA1|termination/],
  // A traitor primary telling half of 6 backups T and half F: ties, broken by arrival order.
  ["no-default", 34, ["--nodes", "7"], /BA1/],
];

for (const [variant, seed, args, property] of CAUGHT) {
  test(`variant ${variant} is caught`, async () => {
    const r = await run([
      "--variant",
      variant,
      ...args,
      "--time-limit",
      "30",
      "--stop-on-violation",
      "--seed",
      String(seed),
      "--test-count",
      "2",
    ]);
    assert.equal(r.code, EXIT.invalid, r.output);
    assert.match(r.result.reason ?? "", property);
  });
}
