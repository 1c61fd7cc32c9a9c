// `faultline check` end to end: verdicts as exit codes, run directories (their three files
// rewritten alike), reports and JUnit for imported histories, independent histories, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { writeArtifacts } from "../../harness/run/artifacts.ts";
import { loadHistory } from "../../histories/load.ts";

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

test("a history piped in: `check -` and a named FIFO read as files are; a terminal or a device is refused", async () => {
  const edn = fs.readFileSync(path.join(KNOSSOS, "cas-register/bad/bad-analysis.edn"));
  const piped = await execa(
    path.join(ROOT, "bin/faultline"),
    ["check", "-", "--model", "cas-register", "--init", "0"],
    { reject: false, cwd: ROOT, input: edn },
  );
  assert.equal(piped.exitCode, 1, piped.stderr);
  assert.match(piped.stdout, /^invalid: op 13->14 \(process 21: read 2\) cannot be linearized/);

  // A named FIFO whose writer opens it only after check has started waiting on it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-fifo-"));
  const fifo = path.join(dir, "history.jsonl");
  await execa("mkfifo", [fifo]);
  const check = faultline("check", fifo, "--model", "kv");
  await new Promise((r) => setTimeout(r, 1500));
  fs.writeFileSync(fifo, jsonl(goodOps));
  const late = await check;
  assert.equal(late.exitCode, 0, late.stderr);
  assert.match(late.stdout, /^valid/);

  // `check -` typed at a terminal, with nothing piped in (`script` gives it a terminal).
  const tty = await execa("script", ["-eqc", "./bin/faultline check - --model kv", "/dev/null"], {
    reject: false,
    cwd: ROOT,
  });
  assert.equal(tty.exitCode, 4, tty.stdout);
  assert.match(tty.stdout, /Nothing is piped into standard input; pipe a history in/);

  const device = await faultline("check", "/dev/null", "--model", "kv");
  assert.equal(device.exitCode, 4, device.stderr);
  assert.match(device.stderr, /\/dev\/null: it is a terminal or device, not a file or pipe/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("Ctrl-C while check waits on a FIFO that nobody writes: exit 6, at once", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-fifo-"));
  const fifo = path.join(dir, "history.jsonl");
  await execa("mkfifo", [fifo]);
  const check = faultline("check", fifo, "--model", "kv");
  // Past the CLI's start-up, so the wait on the FIFO is what the signal interrupts.
  await new Promise((r) => setTimeout(r, 3000));
  check.kill("SIGINT");
  const killer = setTimeout(() => check.kill("SIGKILL"), 15_000);
  const r = await check;
  clearTimeout(killer);
  assert.equal(r.signal, undefined, "check ignored Ctrl-C and had to be killed");
  assert.equal(r.exitCode, 6, r.stderr);
  fs.rmSync(dir, { recursive: true, force: true });
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

/** What each of a run folder's three files says: results.json's verdict, report.html's
 *  badge, junit.xml's failures and errors. */
function verdicts(dir: string) {
  const results = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8"));
  const report = fs.readFileSync(path.join(dir, "report.html"), "utf8");
  const junit = fs.readFileSync(path.join(dir, "junit.xml"), "utf8");
  return {
    results: results.valid,
    report: /class="verdict v-(\w+)">/.exec(report)?.[1],
    junit: /<testsuite [^>]*failures="(\d+)" errors="(\d+)"/.exec(junit)?.slice(1).join("/"),
    all: { results, report, junit },
  };
}

test("check --write-results on a run whose verdict changes updates all three files alike", async () => {
  // A stored run whose files say valid (an older checker's verdict) while its history holds
  // a stale read: the re-check finds it invalid.
  const staleOps = [
    ...goodOps,
    { process: 2, type: "invoke", f: "write", key: "a", value: 2 },
    { process: 2, type: "ok", f: "write", key: "a", value: 2 },
    { process: 1, type: "invoke", f: "read", key: "a", value: null },
    { process: 1, type: "ok", f: "read", key: "a", value: 1 },
  ];
  const dir = runDir(staleOps);
  const test = {
    name: "raft lin-kv partition",
    target: "raft",
    seed: 5,
    nodes: 3,
    checkers: [{ checker: "linearizable", options: { model: "kv" } }, { checker: "progress" }],
  };
  fs.writeFileSync(path.join(dir, "test.json"), JSON.stringify(test));
  writeArtifacts({
    dir,
    test,
    history: await loadHistory(path.join(dir, "history.jsonl")),
    analysis: { verdict: true, results: { linearizable: { valid: true } }, explanation: [] },
    incomplete: false,
    durationSeconds: 42.5,
    extra: { cluster: "abc123" },
  });
  assert.deepEqual((({ all: _, ...v }) => v)(verdicts(dir)), {
    results: true,
    report: "true",
    junit: "0/0",
  });

  const r = await faultline("check", dir, "--write-results");
  assert.equal(r.exitCode, 1, r.stderr);
  const after = verdicts(dir);
  assert.deepEqual([after.results, after.report, after.junit], [false, "false", "1/0"]);
  assert.doesNotMatch(after.all.report, /class="verdict v-true"|>VALID</);
  assert.match(
    after.all.report,
    /<th>linearizable<\/th><td><span class="verdict-text v-text-invalid">/,
  );
  assert.match(after.all.junit, /<testcase [^>]*name="linearizable"[^>]*><failure /);
  // What the run itself recorded stays: its duration and cluster; the check adds its time.
  assert.equal(after.all.results.durationSeconds, 42.5);
  assert.equal(after.all.results.cluster, "abc123");
  assert.match(after.all.results.checkedAt, /^\d{4}-/);
  assert.match(after.all.junit, /<property name="seed" value="5"\/>/);
  assert.match(
    after.all.junit,
    /<property name="rerun" value="faultline run --target raft --nodes 3 --seed 5"\/>/,
  );
  assert.match(after.all.junit, /<property name="replay" value="faultline replay \S+"\/>/);

  // Checked with another checker the verdict changes back, again in all three.
  const back = await faultline("check", dir, "--write-results", "--checker", "progress");
  assert.equal(back.exitCode, 0, back.stderr);
  const v = verdicts(dir);
  assert.deepEqual([v.results, v.report, v.junit], [true, "true", "0/0"]);
  assert.deepEqual(Object.keys(v.all.results.results), ["progress"]);
  assert.match(v.all.junit, /<testcase [^>]*name="progress"/);
  assert.doesNotMatch(v.all.junit, /name="linearizable"/);
});

test("--report and --junit: a report and JUnit XML for an imported EDN history, where asked", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-out-"));
  const edn = path.join(KNOSSOS, "cas-register/bad/bad-analysis.edn");
  const report = path.join(out, "out.html");
  const junit = path.join(out, "ci", "reports", "junit.xml"); // folders made as needed
  const r = await faultline(
    "check",
    edn,
    "--model",
    "cas-register",
    "--init",
    "0",
    "--report",
    report,
    "--junit",
    junit,
  );
  assert.equal(r.exitCode, 1, r.stderr);
  assert.match(r.stdout, new RegExp(`Wrote ${report} and ${junit}\\.`));
  const html = fs.readFileSync(report, "utf8");
  assert.match(html, /<title>check of bad-analysis\.edn<\/title>/);
  assert.match(html, /class="verdict v-false">INVALID</);
  assert.match(html, /op 13-&gt;14 \(process 21: read 2\) cannot be linearized/);
  assert.match(
    html,
    /Replay: <code>faultline check \S*bad-analysis\.edn --model cas-register --init 0<\/code>/,
  );
  const xml = fs.readFileSync(junit, "utf8");
  assert.match(
    xml,
    /<testsuite name="faultline\.check\.of\.bad-analysis\.edn" tests="1" failures="1" errors="0" skipped="0" time="[\d.]+" timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d">/,
  );
  assert.match(
    xml,
    /<property name="replay" value="faultline check \S*bad-analysis\.edn --model cas-register --init 0"\/>/,
  );
  assert.match(
    xml,
    /<property name="checkers" value="\[\{&quot;checker&quot;:&quot;linearizable&quot;/,
  );
  // Nothing was written beside the history.
  assert.deepEqual(
    fs.readdirSync(path.dirname(edn)).filter((f) => !f.endsWith(".edn")),
    [],
  );
});

test("independent histories through the CLI: per-key verdicts", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-independent-"));
  const file = path.join(dir, "history.edn");
  const ops = (stale: boolean) =>
    `[{:process 0, :type :invoke, :f :write, :value [7 1]}
 {:process 0, :type :ok, :f :write, :value [7 1]}
 {:process 1, :type :invoke, :f :write, :value [8 2]}
 {:process 1, :type :ok, :f :write, :value [8 2]}
 {:process 2, :type :invoke, :f :read, :value [7 nil]}
 {:process 2, :type :ok, :f :read, :value [7 ${stale ? 0 : 1}]}]`;
  fs.writeFileSync(file, ops(false));
  const valid = await faultline("check", file, "--model", "cas-register", "--init", "0");
  assert.equal(valid.exitCode, 0, valid.stdout + valid.stderr);
  assert.match(valid.stdout, /^valid: linearizable: 3 client ops in 2 partition\(s\)/);
  fs.writeFileSync(file, ops(true));
  const invalid = await faultline("check", file, "--model", "cas-register", "--init", "0");
  assert.equal(invalid.exitCode, 1, invalid.stdout + invalid.stderr);
  assert.match(
    invalid.stdout,
    /^invalid: op 4->5 \(process 2: read 7 0\) cannot be linearized \(key 7\)/,
  );
});
