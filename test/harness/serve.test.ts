// The store browser's parts without a browser: what a URL path may name (paths.ts) and how
// the runs are listed (runs.ts), including runs that died before results.json or were cut
// short. The browser itself: serve-browser.test.ts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveInStore, storeRealRoot } from "../../harness/serve/paths.ts";
import { listRuns } from "../../harness/serve/runs.ts";
import { makeStore, type FixtureRun } from "./store-fixtures.ts";

let work: string;
let store: string;
let root: string;
let runs: FixtureRun[];

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-serve-unit-"));
  store = path.join(work, "store");
  runs = await makeStore(store);
  fs.writeFileSync(path.join(work, "secret.txt"), "x");
  fs.symlinkSync(path.join(work, "secret.txt"), path.join(store, "raft", "leak.txt"));
  root = storeRealRoot(store);
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

test("paths inside the store resolve (links inside it too); every way out is refused", () => {
  const run = path.relative(store, runs[1]!.dir);
  const ok = resolveInStore(root, `${run}/report.html`);
  assert.deepEqual(ok, {
    ok: true,
    path: path.join(root, run, "report.html"),
    rel: `${run}/report.html`,
  });
  const latest = resolveInStore(root, "raft/latest/test.json");
  assert.ok(latest.ok && latest.path === path.join(root, run, "test.json"));
  assert.ok(resolveInStore(root, "").ok, "the root itself");
  assert.ok(resolveInStore(root, "raft/").ok, "a folder with its slash");
  assert.ok(
    resolveInStore(root, "raft/%32%30%32%36").ok === false,
    "decoded once: 2026 is no folder",
  );
  for (const p of [
    "..",
    "../secret.txt",
    "raft/../../secret.txt",
    "%2e%2e/secret.txt",
    "%2E%2E/secret.txt",
    ".%2e/secret.txt",
    "raft/..%2f..%2fsecret.txt",
    "raft/..%5c..%5csecret.txt",
    "%2Fetc%2Fpasswd",
    "/etc/passwd",
    "raft//x",
    "./raft",
    "raft/%00",
    "raft/leak.txt",
  ]) {
    const r = resolveInStore(root, p);
    assert.equal(r.ok, false, p);
    assert.equal(!r.ok && r.status, 403, p);
  }
  assert.deepEqual(resolveInStore(root, "raft/nothing-here"), {
    ok: false,
    status: 404,
    why: "no such file in the store",
  });
  assert.equal((resolveInStore(root, "%E0%A4%A") as { status: number }).status, 404);
});

test("the runs are listed newest first, from test.json and results.json", () => {
  // A run whose control process died (no results.json) and one cut short (incomplete).
  const died = path.join(store, "raft", "20261123T000000.000Z");
  fs.mkdirSync(died);
  fs.writeFileSync(path.join(died, "test.json"), JSON.stringify({ target: "raft", seed: 3 }));
  const cut = path.join(store, "bin", "20261124T000000.000Z");
  fs.mkdirSync(cut, { recursive: true });
  fs.writeFileSync(
    path.join(cut, "test.json"),
    JSON.stringify({ target: "bin", program: { entry: "node.py" }, workload: "echo", nemesis: [] }),
  );
  fs.writeFileSync(
    path.join(cut, "results.json"),
    JSON.stringify({ valid: "unknown", incomplete: true }),
  );
  const listed = listRuns(store);
  assert.deepEqual(
    listed.map((r) => [
      r.path,
      r.target,
      r.variant,
      r.workload,
      r.faults.join(","),
      r.verdict,
      r.date,
    ]),
    [
      [
        "bin/20261124T000000.000Z",
        "bin:node.py",
        "correct",
        "echo",
        "",
        "incomplete",
        "2026-11-24T00:00:00.000Z",
      ],
      ["raft/20261123T000000.000Z", "raft", "correct", "-", "", "none", "2026-11-23T00:00:00.000Z"],
      [
        "paxos/20261122T120000.000Z",
        "paxos",
        "correct",
        "lin-kv",
        "partition",
        "valid",
        "2026-11-22T12:00:00.000Z",
      ],
      [
        "raft/20261121T110000.000Z",
        "raft",
        "local-read",
        "lin-kv",
        "partition",
        "invalid",
        "2026-11-21T11:00:00.000Z",
      ],
      [
        "raft/20261120T100000.000Z",
        "raft",
        "correct",
        "lin-kv",
        "partition",
        "valid",
        "2026-11-20T10:00:00.000Z",
      ],
    ],
  );
  assert.match(
    listed[3]!.why,
    /^linearizable: not linearizable: op \d+->\d+ \(process 3: read b 1\)/,
  );
  assert.equal(listed[2]!.why, "");
  assert.equal(listed[1]!.hasReport, false);
  assert.equal(listed[2]!.seed, 7);
  fs.rmSync(died, { recursive: true });
  fs.rmSync(path.join(store, "bin"), { recursive: true });
});

test("a store with no runs lists none; a folder that is not a store lists none", () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-serve-empty-"));
  assert.deepEqual(listRuns(empty), []);
  assert.deepEqual(listRuns(path.join(empty, "missing")), []);
  fs.rmSync(empty, { recursive: true });
});
