// `faultline run` end to end against real containers (needs a Docker engine and the node image
// from `make setup`; fails saying so otherwise): correct Raft is valid under partitions and
// kills, the broken variants are caught, and SIGINT mid-run cleans up and stores a partial run.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";
import { docker } from "../../harness/runtime/docker.ts";
import { readHistory } from "../../histories/jsonl.ts";
import { EXIT } from "../../core/errors.ts";

const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-e2e-"));

before(async () => {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
});

/** Run the real CLI; returns its exit code, output, and the run folder it stored. */
async function faultline(args: string[]) {
  const r = await execa(join(root, "bin/faultline"), ["run", "--store", store, ...args], {
    cwd: root,
    reject: false,
    all: true,
  });
  const dir = /Stored in (\S+)/.exec(r.all ?? "")?.[1];
  return { code: r.exitCode, output: r.all ?? "", dir };
}

function results(dir: string) {
  return JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
}

async function leftovers(clusterId: string): Promise<number> {
  const filters = { label: [`faultline.cluster=${clusterId}`] };
  const containers = await docker().listContainers({ all: true, filters });
  const networks = await docker().listNetworks({ filters });
  return containers.length + networks.length;
}

test("correct Raft under partitions and kills for 30 s is valid", async () => {
  const r = await faultline([
    "--target",
    "raft",
    "--nemesis",
    "partition,kill",
    "--time-limit",
    "30",
    "--seed",
    "3",
  ]);
  assert.equal(r.code, EXIT.valid, r.output);
  const res = results(r.dir!);
  assert.equal(res.valid, true);
  assert.ok(res.counts.ok > 500, `ops went through: ${JSON.stringify(res.counts)}`);
  const history = await readHistory(join(r.dir!, "history.jsonl"));
  const nemesis = history
    .filter((o) => o.process === "nemesis" && o.type === "invoke")
    .map((o) => o.f);
  assert.ok(nemesis.includes("start-partition") && nemesis.includes("kill"), nemesis.join());
  for (const f of ["report.html", "junit.xml", "test.json", "logs/n1.log"])
    assert.ok(existsSync(join(r.dir!, f)), f);
  assert.equal(await leftovers(res.cluster), 0);
});

test("the local-read variant is found invalid by a default run", async () => {
  const r = await faultline([
    "--target",
    "raft",
    "--variant",
    "local-read",
    "--time-limit",
    "15",
    "--seed",
    "1",
  ]);
  assert.equal(r.code, EXIT.invalid, r.output);
  assert.match(r.output, /cannot be linearized/);
  assert.match(readFileSync(join(r.dir!, "junit.xml"), "utf8"), /<failure/);
});

test("--stop-on-violation ends a 60 s run of local-read within seconds of the violation, cleaned up", async () => {
  const started = Date.now();
  const r = await faultline([
    "--target",
    "raft",
    "--variant",
    "local-read",
    "--time-limit",
    "60",
    "--seed",
    "2",
    "--stop-on-violation",
  ]);
  const wallS = (Date.now() - started) / 1000;
  assert.equal(r.code, EXIT.invalid, r.output);
  const stopped = /Stopped at ([\d.]+) s on the live check's first violation \(linearizable/.exec(
    r.output,
  );
  assert.ok(stopped, r.output);
  const res = results(r.dir!);
  assert.equal(res.stoppedOnViolation.atSeconds.toFixed(1), stopped[1]);
  // Stopped, healed, torn down and stored well before the main phase alone would have ended.
  assert.ok(wallS < 50, `took ${wallS} s`);
  assert.equal(await leftovers(res.cluster), 0);
});

// Lost term/vote state shows when a staggered kill's restarted majority elects and commits,
// and a survivor wakes, wins and overwrites those entries. The stagger (restart together,
// wait for a leader, 3 s alone, a 2 s handover) needs the default 60 s run: in 30 s the kill
// sometimes no longer fits. Caught on 20 of 20 unseen seeds (821-840) by default runs two at
// once (docs/running.md); --stop-on-violation ends it at the catch (median 35 s).
test("the no-persist variant is caught by a default run (partition,kill, 60 s)", async () => {
  const r = await faultline([
    "--target",
    "raft",
    "--variant",
    "no-persist",
    "--seed",
    "1",
    "--stop-on-violation",
    // A second seed only after a miss.
    "--test-count",
    "2",
  ]);
  assert.equal(r.code, EXIT.invalid, r.output);
});

test("SIGINT in the middle: readable history, result marked incomplete, nothing left behind", async () => {
  const own = mkdtempSync(join(tmpdir(), "faultline-e2e-sigint-"));
  const args = [
    "run",
    "--store",
    own,
    "--target",
    "raft",
    "--time-limit",
    "60",
    "--seed",
    "9",
    "--nemesis-interval",
    "2",
  ];
  const child = execa(join(root, "bin/faultline"), args, { cwd: root, reject: false, all: true });
  // Interrupt in the middle of the main phase: once the first fault is in effect and ops flow.
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const history = newestHistory(own);
    if (history && /"f":"start-partition"/.test(readFileSync(history, "utf8"))) break;
  }
  await new Promise((r) => setTimeout(r, 1000));
  child.kill("SIGINT");
  const r = await child;
  assert.equal(r.exitCode, EXIT.interrupted, r.all);
  const dir = /Stored in (\S+)/.exec(r.all ?? "")![1]!;
  const res = results(dir);
  assert.equal(res.incomplete, true);
  const ops = await readHistory(join(dir, "history.jsonl"));
  assert.ok(ops.filter((o) => o.type === "ok").length > 50, "the main phase was under way");
  // every fault started was healed (and recorded) before teardown
  const invoked = (fs: string[]) =>
    ops.filter((o) => o.process === "nemesis" && o.type === "invoke" && fs.includes(o.f)).length;
  assert.ok(invoked(["start-partition", "kill"]) >= 1);
  assert.equal(invoked(["stop-partition", "start"]), invoked(["start-partition", "kill"]));
  assert.equal(await leftovers(res.cluster), 0, "no containers or networks of the run remain");
});

/** The history of the newest run folder under <store>/raft (a running run has no `latest` yet). */
function newestHistory(storeRoot: string): string | undefined {
  const dir = join(storeRoot, "raft");
  if (!existsSync(dir)) return undefined;
  const newest = readdirSync(dir)
    .filter((d) => d !== "latest")
    .sort()
    .at(-1);
  const path = newest && join(dir, newest, "history.jsonl");
  return path && existsSync(path) ? path : undefined;
}
