// `faultline compare` through the real CLI without Docker: stored run folders (made by hand
// from compare-history.ts) give the table, compare.json and a self-contained compare.html;
// bad input is refused with one sentence and exit 4 before anything runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { EXIT } from "../../core/errors.ts";
import { handMade, parseTable } from "./compare-fixtures.ts";

const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-compare-"));

const faultline = (args: string[]) =>
  execa(join(root, "bin/faultline"), ["compare", "--store", store, ...args], {
    cwd: root,
    reject: false,
  });

/** A run folder as `faultline run` leaves it, with the hand-made history. */
function storedRun(name: string, test: object, results?: object): string {
  const dir = join(store, "raft", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "history.jsonl"),
    handMade()
      .map((op) => JSON.stringify(op))
      .join("\n") + "\n",
  );
  writeFileSync(join(dir, "test.json"), JSON.stringify(test));
  if (results) writeFileSync(join(dir, "results.json"), JSON.stringify(results));
  return dir;
}

test("compare of stored runs: one row per folder, the figures of each, one page", async () => {
  const schedule = [{ atMs: 2050, action: "start" }];
  const a = storedRun(
    "20261201T000000.000Z",
    { target: "raft", seed: 4, nodes: 3, schedule },
    {
      valid: true,
      messages: { sent: 380 },
      results: { linearizable: { valid: true }, progress: { valid: true } },
    },
  );
  const b = storedRun(
    "20261201T000100.000Z",
    { target: "raft", variant: "local-read", seed: 4, nodes: 3, schedule },
    { valid: false, results: { linearizable: { valid: false }, progress: { valid: true } } },
  );
  // Killed before results.json: its verdicts are "none", its figures still there.
  const c = storedRun("20261201T000200.000Z", {
    target: "raft",
    variant: "no-persist",
    seed: 5,
    nodes: 3,
    schedule: [],
  });
  const r = await faultline([a, b, c]);
  assert.equal(r.exitCode, EXIT.valid, r.stderr);
  const table = parseTable(r.stdout);
  assert.deepEqual([...table.keys()], ["raft", "raft:local-read", "raft:no-persist"]);
  assert.equal(table.get("raft")!.verdict, "valid");
  assert.equal(table.get("raft:local-read")!.verdict, "INVALID");
  assert.equal(table.get("raft:local-read")!.linearizable, "INVALID");
  assert.equal(table.get("raft:no-persist")!.verdict, "none");
  // The hand-made history: 66/70 quiet, 10/20 under the partition, 0/10 under the kill.
  assert.equal(table.get("raft")!["avail quiet"], "94.3%");
  assert.equal(table.get("raft")!["avail partition"], "50.0%");
  assert.equal(table.get("raft")!["avail kill"], "0.0%");
  assert.equal(table.get("raft")!["ok/s"], "7.7");
  assert.equal(table.get("raft")!["msgs/op"], "5.0");
  assert.equal(table.get("raft:local-read")!["msgs/op"], "-");
  assert.equal(table.get("raft")!["recover s med/max"], "0.0/0.5");
  assert.match(r.stdout, /Note: The runs' fault schedules differ/);

  const page = /Comparison: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(page, r.stdout);
  const html = readFileSync(page, "utf8");
  for (const label of ["raft:local-read", "raft:no-persist", "avail partition", "msgs/op"])
    assert.ok(html.includes(label), label);
  assert.doesNotMatch(html, /<script|<link|src=|https?:\/\//, "self-contained");
  assert.match(html, /href="\.\.\/\.\.\/raft\/20261201T000100\.000Z\/report\.html"/);
  const json = JSON.parse(readFileSync(join(page, "..", "compare.json"), "utf8"));
  assert.equal(json.mode, "stored");
  assert.deepEqual(json.rows[0].summary.availability.kill, { ok: 0, total: 10, share: 0 });
});

test("bad input to compare: one sentence and exit 4, before anything runs", async () => {
  const one = storedRun("20261201T000300.000Z", { target: "raft", seed: 1 });
  const cases: [string[], RegExp][] = [
    [[], /Name what to compare/],
    [["--target", "raft"], /at least two contenders/],
    [["--target", "raft", "--target", "raft"], /raft is given twice/],
    [["--target", "raft", "--target", "raft:nope"], /has no variant "nope"/],
    [["--target", "raft", "--target", "python-register"], /give --nodes N/],
    [["--target", "raft,raft:local-read", "--seeds", "3-1"], /backwards/],
    [["--target", "raft,raft:local-read", "--seed", "1", "--seeds", "1-2"], /not both/],
    [[one], /at least two run folders/],
    [[one, join(store, "nothing")], /not a folder/],
    [[one, one], /at least two run folders/],
    [[one, store], /holds no history/],
    [[one, "--target", "raft"], /not both/],
  ];
  for (const [args, message] of cases) {
    const r = await faultline(args);
    assert.equal(r.exitCode, EXIT.badInput, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
  }
});
