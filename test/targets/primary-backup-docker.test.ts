// primary-backup end to end, through the real CLI and real containers (needs a Docker engine
// and the node image from `make setup`, and fails saying so otherwise): the correct protocol
// is valid under partitions and kills, with a failover and a rejoin in its node logs; each
// broken variant is caught by a default run (the target's own nemesis, partition,kill). One
// seed each; docs/primary-backup.md gives the catch rate over unseen seeds.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";
import { EXIT } from "../../core/errors.ts";

const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-pb-"));

before(async () => {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
});

/** A run of the target with only the given flags; its exit code, output and stored folder. */
async function run(args: string[]) {
  const all = ["run", "--store", store, "--target", "primary-backup", ...args];
  const r = await execa(join(root, "bin/faultline"), all, { cwd: root, reject: false, all: true });
  const dir = [...(r.all ?? "").matchAll(/Stored in (\S+)/g)].at(-1)?.[1];
  assert.ok(dir, `the run was stored:\n${r.all}`);
  return { code: r.exitCode, output: r.all ?? "", dir };
}

/** Every node's log lines of the protocol, together. */
function nodeLogs(dir: string): string {
  const logs = join(dir, "logs");
  return readdirSync(logs)
    .filter((f) => /^n\d+\.log$/.test(f))
    .map((f) => readFileSync(join(logs, f), "utf8"))
    .join("\n");
}

test("correct primary-backup under partitions and kills for 30 s is valid, through failovers and rejoins", async () => {
  const r = await run(["--nemesis", "partition,kill", "--time-limit", "30", "--seed", "5"]);
  assert.equal(r.code, EXIT.valid, r.output);
  const results = JSON.parse(readFileSync(join(r.dir, "results.json"), "utf8"));
  assert.equal(results.valid, true);
  assert.ok(results.counts.ok > 300, `ops went through: ${JSON.stringify(results.counts)}`);
  const logs = nodeLogs(r.dir);
  // The faults did reach the protocol: epochs changed hands, and removed nodes came back.
  const primaries = new Set(
    [...logs.matchAll(/\[(n\d)\] primary-backup: primary of epoch/g)].map((m) => m[1]),
  );
  assert.ok(primaries.size >= 2, `a failover: primaries ${[...primaries].join(",")}`);
  assert.match(logs, /removing silent/);
  assert.match(logs, /adding n\d/);
  const epochs = [...logs.matchAll(/primary of epoch (\d+)/g)].map((m) => Number(m[1]));
  assert.ok(Math.max(...epochs) >= 5, `epochs seen: ${epochs.join(",")}`);
});

// Both flaws show at the first partition's end, when the primary is cut off for 2 s and the
// remaining backup takes over (about 12 s in): a 20 s default run reaches it.
for (const [variant, seed] of [
  ["early-query", 6],
  ["no-epochs", 7],
] as const) {
  test(`variant ${variant} is caught by a default run`, async () => {
    const r = await run(["--variant", variant, "--time-limit", "20", "--seed", String(seed)]);
    assert.match(r.output, /nemesis partition,kill/);
    assert.equal(r.code, EXIT.invalid, r.output);
    assert.match(r.output, /cannot be linearized/);
  });
}
