// The message faults in whole `faultline run`s against real containers (needs a Docker
// engine and the node image from `make setup`; fails saying so otherwise): correct Raft stays
// linearizable when its messages are delayed, duplicated and reordered, and a byzantine run
// records its traitors as docs/faults.md says (the agreement and pbft checkers read them).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";
import { readHistory } from "../../histories/jsonl.ts";
import { EXIT } from "../../core/errors.ts";
import { BEHAVIOURS } from "../../nemesis/faults/byzantine.ts";

const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-msg-faults-"));

before(async () => {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
});

async function faultline(args: string[]) {
  const r = await execa(join(root, "bin/faultline"), ["run", "--store", store, ...args], {
    cwd: root,
    reject: false,
    all: true,
  });
  const dir = /Stored in (\S+)/.exec(r.all ?? "")?.[1];
  return { code: r.exitCode, output: r.all ?? "", dir };
}

test("correct Raft stays valid under delay, duplicate and reorder", async () => {
  const r = await faultline(
    "--target raft --nodes 3 --nemesis delay,duplicate,reorder --nemesis-interval 2 --time-limit 15 --seed 4".split(
      " ",
    ),
  );
  assert.equal(r.code, EXIT.valid, r.output);
  const history = await readHistory(join(r.dir!, "history.jsonl"));
  const started = history
    .filter((o) => o.process === "nemesis" && o.type === "info" && o.f.startsWith("start-"))
    .map((o) => {
      assert.equal(o.error, undefined, `${o.f} applied: ${String(o.error)}`);
      return o.f;
    });
  for (const f of ["start-delay", "start-duplicate", "start-reorder"])
    assert.ok(started.includes(f), `${f} in ${started}`);
  const res = JSON.parse(readFileSync(join(r.dir!, "results.json"), "utf8"));
  assert.ok(res.counts.ok > 200, `ops went through: ${JSON.stringify(res.counts)}`);
});

test("a byzantine run records k traitors per window, each with a behaviour, and heals them", async () => {
  const r = await faultline(
    "--target raft --nodes 4 --nemesis byzantine --byzantine 2 --nemesis-interval 2 --time-limit 10 --seed 6".split(
      " ",
    ),
  );
  // Raft is not meant to survive lying nodes: valid or invalid, but no harness error.
  assert.ok(r.code === EXIT.valid || r.code === EXIT.invalid, r.output);
  const test = JSON.parse(readFileSync(join(r.dir!, "test.json"), "utf8"));
  assert.equal(test.byzantine, 2);
  const nem = (await readHistory(join(r.dir!, "history.jsonl"))).filter(
    (o) => o.process === "nemesis",
  );
  const starts = nem.filter((o) => o.f === "start-byzantine" && o.type === "info");
  assert.ok(starts.length >= 2, `windows: ${starts.length}`);
  for (const s of starts) {
    assert.equal(s.error, undefined, String(s.error));
    const { behaviours } = s.detail as { behaviours: Record<string, string> };
    assert.deepEqual(Object.keys(behaviours), s.value, "value names the traitors");
    assert.equal(Object.keys(behaviours).length, 2);
    for (const b of Object.values(behaviours)) assert.ok(BEHAVIOURS.includes(b as never), b);
  }
  const fs = nem.map((o) => `${o.type} ${o.f}`);
  for (let i = 0; i < fs.length; i += 4)
    assert.deepEqual(fs.slice(i, i + 4), [
      "invoke start-byzantine",
      "info start-byzantine",
      "invoke stop-byzantine",
      "info stop-byzantine",
    ]);
  const stops = nem.filter((o) => o.f === "stop-byzantine" && o.type === "info");
  assert.ok(
    stops.every((o) => o.error === undefined),
    "healed without error",
  );
});
