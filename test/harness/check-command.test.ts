// `faultline check` end to end: verdicts as exit codes, run directories, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";

const ROOT = path.resolve(import.meta.dirname, "../..");
const KNOSSOS = path.resolve(ROOT, "../shared/histories/knossos");
const faultline = (...args: string[]) =>
  execa(path.join(ROOT, "bin/faultline"), args, { reject: false, cwd: ROOT });

function jsonl(ops: object[]): string {
  return ops.map((o, index) => JSON.stringify({ index, time: index, ...o })).join("\n") + "\n";
}

/** A stored run: history.jsonl and test.json naming the checker. */
function runDir(ops: object[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-run-"));
  fs.writeFileSync(path.join(dir, "history.jsonl"), jsonl(ops));
  fs.writeFileSync(
    path.join(dir, "test.json"),
    JSON.stringify({ checker: { model: "kv", init: null } }),
  );
  return dir;
}

const goodOps = [
  { process: 0, type: "invoke", f: "write", key: "a", value: 1 },
  { process: 0, type: "ok", f: "write", key: "a", value: 1 },
  { process: 1, type: "invoke", f: "read", key: "a", value: null },
  { process: 1, type: "ok", f: "read", key: "a", value: 1 },
];

test("a Jepsen EDN history: invalid exits 1 with the explanation, valid exits 0", async () => {
  const bad = await faultline(
    "check",
    path.join(KNOSSOS, "cas-register/bad/bad-analysis.edn"),
    "--model",
    "cas-register",
    "--init",
    "0",
  );
  assert.equal(bad.exitCode, 1, bad.stderr);
  assert.match(bad.stdout, /^invalid: op 13->14 \(process 21: read 2\) cannot be linearized/);
  const good = await faultline(
    "check",
    path.join(KNOSSOS, "cas-register/good/cas-register-bug.edn"),
    "--model",
    "cas-register",
    "--init",
    "0",
  );
  assert.equal(good.exitCode, 0, good.stderr);
  assert.match(good.stdout, /^valid/);
});

test("a run directory: model from test.json, nothing written unless --write-results", async () => {
  const dir = runDir(goodOps);
  const before = fs.readdirSync(dir).sort();
  const r = await faultline("check", dir);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /model kv/);
  assert.deepEqual(fs.readdirSync(dir).sort(), before);
  const w = await faultline("check", dir, "--write-results");
  assert.equal(w.exitCode, 0, w.stderr);
  const results = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8"));
  assert.equal(results.valid, true);
  assert.equal(results.results.linearizable.valid, true);
  // --model overrides test.json: under a mutex model these ops make no sense.
  const other = await faultline("check", dir, "--model", "mutex");
  assert.equal(other.exitCode, 4);
});

test("past the time limit the verdict is unknown: exit 2", async () => {
  const ops: object[] = [];
  for (let r = 0; r < 2000; r++) {
    for (let p = 0; p < 10; p++)
      ops.push({ process: p, type: "invoke", f: "write", value: r * 10 + p });
    for (let p = 0; p < 10; p++)
      ops.push({ process: p, type: "ok", f: "write", value: r * 10 + p });
  }
  const dir = runDir(ops);
  const r = await faultline(
    "check",
    path.join(dir, "history.jsonl"),
    "--model",
    "register",
    "--time-limit-ms",
    "1",
  );
  assert.equal(r.exitCode, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /^unknown: time limit of 1 ms/);
});

test("bad input: one clear sentence and exit 4", async () => {
  const dir = runDir(goodOps);
  fs.writeFileSync(path.join(dir, "broken.jsonl"), jsonl(goodOps) + "{oops}\n" + jsonl(goodOps));
  const cases: [string[], RegExp][] = [
    [
      ["check", path.join(dir, "history.jsonl")],
      /Name the checker with --checker \(one of: .*linearizable.*\), or the model .* with --model/,
    ],
    [["check", path.join(dir, "history.jsonl"), "--checker", "nope"], /Unknown checker "nope"/],
    [
      ["check", path.join(dir, "broken.jsonl"), "--model", "kv"],
      /broken\.jsonl, line 5: expected one JSON object per line/,
    ],
    [["check", path.join(dir, "history.jsonl"), "--model", "paxos"], /Unknown model "paxos"/],
    [
      ["check", path.join(dir, "nope.jsonl"), "--model", "kv"],
      /Cannot read history .*nope\.jsonl: it does not exist/,
    ],
    [
      ["check", path.join(dir, "history.jsonl"), "--model", "kv", "--write-results"],
      /--write-results needs a run directory/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await faultline(...args);
    assert.equal(r.exitCode, 4, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
