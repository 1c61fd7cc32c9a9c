// The command line itself: output complete when piped, --version, and a suggestion for a
// mistyped flag or command (the flag-matching units, then the real CLI).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { closest, editDistance, unknownArgumentsMessage } from "../../harness/suggest.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const bin = path.join(ROOT, "bin/faultline");
const faultline = (...args: string[]) => execa(bin, args, { reject: false, cwd: ROOT });

test("every byte of a large output reaches a pipe (it used to stop at 64 KiB)", async () => {
  // A violation whose values are 100 KB each: `check --json` prints about 200 KB.
  const big = (c: string) => c.repeat(100_000);
  const ops = [
    { process: 0, type: "invoke", f: "write", value: big("a") },
    { process: 0, type: "ok", f: "write", value: big("a") },
    { process: 1, type: "invoke", f: "read", value: null },
    { process: 1, type: "ok", f: "read", value: big("b") },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-pipe-"));
  const file = path.join(dir, "h.jsonl");
  fs.writeFileSync(
    file,
    ops.map((o, index) => JSON.stringify({ index, time: index, ...o })).join("\n") + "\n",
  );
  // Through a shell pipe, as `| wc -c` reads it (execa's own stdout is a socket, which
  // never showed the loss).
  const r = await execa(
    "bash",
    ["-c", 'set -o pipefail; "$0" check "$1" --model register --json | cat', bin, file],
    { reject: false },
  );
  assert.equal(r.exitCode, 1, r.stderr);
  assert.ok(r.stdout.length > 200_000, `only ${r.stdout.length} bytes arrived`);
  const parsed = JSON.parse(r.stdout);
  assert.equal(parsed.valid, false);
});

test("--version prints the package version and the git commit", async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const { stdout: commit } = await execa("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT });
  for (const flag of ["--version", "-V"]) {
    const r = await faultline(flag);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, `faultline ${pkg.version}+${commit.trim()}`);
  }
  assert.match((await faultline("--help")).stdout, /--version.*Print Faultline's version/);
});

test("a mistyped flag or command gets a suggestion, in one sentence, exit 4", async () => {
  const cases: [string[], string][] = [
    [
      ["run", "--tme-limit", "5"],
      "faultline: Unknown flag --tme-limit (did you mean --time-limit?); `faultline run --help` lists what it takes.",
    ],
    [
      ["check", "h.edn", "--jsn"],
      "faultline: Unknown flag --jsn (did you mean --json?); `faultline check --help` lists what it takes.",
    ],
    [
      ["run", "--no-live-chek"],
      "faultline: Unknown flag --live-chek (did you mean --live-check?); `faultline run --help` lists what it takes.",
    ],
    [
      ["run", "--frobnicate"],
      "faultline: Unknown flag --frobnicate; `faultline run --help` lists what it takes.",
    ],
    [
      ["chek", "h.edn"],
      'faultline: Unknown command "chek"; did you mean check? (`faultline --help`)',
    ],
  ];
  for (const [args, message] of cases) {
    const r = await faultline(...args);
    assert.equal(r.exitCode, 4, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, message);
  }
});

test("suggestions: typos, swaps and prefixes; nothing for a word far from every flag", () => {
  assert.equal(editDistance("tme-limit", "time-limit"), 1);
  assert.equal(editDistance("sede", "seed"), 1, "a swap of neighbours is one edit");
  const flags = ["time-limit", "seed", "settle", "nodes", "nemesis", "nemesis-interval"];
  assert.equal(closest("sede", flags), "seed");
  assert.equal(closest("nemesis-intervall", flags), "nemesis-interval");
  assert.equal(closest("time", flags), "time-limit", "a prefix");
  assert.equal(closest("xyz", flags), undefined);
  assert.equal(
    unknownArgumentsMessage(
      "Unknown arguments: sede, nodez, extra",
      ["run", "--sede", "1", "--nodez=3", "extra"],
      flags,
      "faultline run",
    ),
    'Unknown flag --sede (did you mean --seed?), unknown flag --nodez (did you mean --nodes?), unexpected argument "extra"; `faultline run --help` lists what it takes.',
  );
  assert.equal(unknownArgumentsMessage("Missing required argument: x", [], flags, "f"), undefined);
});
