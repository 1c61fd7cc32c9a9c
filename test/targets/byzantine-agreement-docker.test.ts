// byzantine-agreement end to end, through the real CLI and real containers (needs a Docker
// engine and the node image from `make setup`, and fails saying so otherwise). One seed each.
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

/** A run of the target through the CLI, with `args` besides the store and the target. */
async function run(args: string[]) {
  const all = ["run", "--store", store, "--target", "byzantine-agreement", ...args];
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

test("OM(1) on 4 nodes with pauses and kills: every instance agreed, the paused and killed nodes left out", async () => {
  const r = await run(["--nemesis", "pause,kill", "--time-limit", "20", "--seed", "3"]);
  assert.equal(r.code, EXIT.valid, r.output);
  assert.ok(r.result.instances.judged > 150, JSON.stringify(r.result.instances));
  assert.equal(r.result.ba1.violations + r.result.ba2.violations, 0);
  assert.match(r.output, /agreement: valid \(\d+ instances agreed/);
});
