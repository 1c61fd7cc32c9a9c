// `faultline compare` end to end against real containers (needs a Docker engine and the node
// image; fails saying so otherwise): Raft against two broken variants on one seed and one
// fault schedule gives a table whose verdict column is right, with messages counted, and the
// stored runs compared again without running anything give the same verdicts.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";
import { EXIT } from "../../core/errors.ts";
import { parseTable } from "./compare-fixtures.ts";

const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-compare-e2e-"));

before(async () => {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
});

const faultline = (args: string[]) =>
  execa(join(root, "bin/faultline"), ["compare", "--store", store, ...args], {
    cwd: root,
    reject: false,
  });

test("compare of raft against two variants gives a table whose verdict column is right", async () => {
  // 3 nodes, 15 s, a fault every 3 s: one partition isolating a follower, with its handover.
  // local-read is caught with no fault at all; vote-stale-log by the handover when the stale
  // node wins the election that follows (4 of 5 such runs, seeds 1-3 and 41-42, and 2 of 3
  // with 5 nodes): its cell must say what its run's checkers said, whichever it was.
  const r = await faultline([
    "--target",
    "raft",
    "--target",
    "raft:local-read,raft:vote-stale-log",
    "--nodes",
    "3",
    "--time-limit",
    "15",
    "--nemesis-interval",
    "3",
    "--settle",
    "2",
    "--seed",
    "7",
  ]);
  assert.equal(r.exitCode, EXIT.valid, `${r.stdout}\n${r.stderr}`);
  const table = parseTable(r.stdout);
  assert.deepEqual([...table.keys()], ["raft", "raft:local-read", "raft:vote-stale-log"]);
  assert.equal(table.get("raft")!.verdict, "valid", r.stdout);
  assert.equal(table.get("raft:local-read")!.verdict, "INVALID", r.stdout);
  assert.equal(table.get("raft:local-read")!.linearizable, "INVALID");

  const page = /Comparison: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(page, r.stdout);
  const json = JSON.parse(readFileSync(join(page, "..", "compare.json"), "utf8"));
  const dirs: string[] = [];
  for (const row of json.rows) {
    const run = row.runs[0];
    dirs.push(run.dir);
    assert.equal(run.seed, 7);
    // The same schedule: every contender met the partition, and ops ran under it.
    assert.ok(row.summary.availability.partition?.total > 0, JSON.stringify(row.summary));
    // Raft's hosts count their messages (every node's, read every 2 s); writes need some.
    assert.ok(row.summary.messagesPerOkOp > 0.5, `${row.label}: ${row.summary.messagesPerOkOp}`);
    const results = JSON.parse(readFileSync(join(run.dir, "results.json"), "utf8"));
    assert.ok(results.messages.sent > 0 && results.messages.nodes === 3, results.messages);
    // The table says what the run's checkers said.
    const word = (v: unknown) => (v === true ? "valid" : v === false ? "INVALID" : "unknown");
    assert.equal(table.get(row.label)!.verdict, word(results.valid), row.label);
    const linearizable = results.results.linearizable.valid;
    assert.equal(table.get(row.label)!.linearizable, word(linearizable), row.label);
  }

  // The stored runs again, nothing run: the same verdicts, one row per folder.
  const again = await faultline(dirs);
  assert.equal(again.exitCode, EXIT.valid, again.stderr);
  const stored = parseTable(again.stdout);
  assert.deepEqual(
    [...stored.entries()].map(([label, cells]) => [label, cells.verdict]),
    [...table.entries()].map(([label, cells]) => [label, cells.verdict]),
  );
});
