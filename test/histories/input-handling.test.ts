// Input that has broken importers elsewhere, fed through the CLI as a user would: EDN nested
// far too deep, integers beyond 2^53, histories whose ops do not pair up, and a Ctrl-C while
// the CLI is still loading.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { EXIT } from "../../core/errors.ts";
import { parseEdn } from "../../histories/edn.ts";
import { loadHistory } from "../../histories/load.ts";
import fc from "fast-check";
import {
  parseJsonKeepingBigIntegers,
  stringifyKeepingBigIntegers,
} from "../../core/big-integers.ts";
import { opLine } from "../../histories/jsonl.ts";
import { jsonKey } from "../../checkers/elements.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-input-"));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const check = (...args: string[]) =>
  execa(path.join(ROOT, "bin/faultline"), ["check", ...args], { reject: false, cwd: ROOT });

test("EDN nested 10,000 deep: one clear sentence and exit 4, not a stack overflow", async () => {
  const deep = file("deep.edn", "[".repeat(10_000) + "]".repeat(10_000) + "\n");
  const r = await check("--model", "register", deep);
  assert.equal(r.exitCode, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /deep\.edn, line 1: .*at most 1000 levels of nested collections/);
  assert.doesNotMatch(r.stderr, /RangeError|internal error/);
  // Nesting up to the limit still reads.
  assert.equal(parseEdn("[".repeat(1000) + "]".repeat(1000)).length, 1);
});

test("integers beyond 2^53 keep their exact value, in EDN and JSONL", async () => {
  assert.deepEqual(parseEdn("9007199254740993 -9007199254740993N 9007199254740991 1.5"), [
    { value: 9007199254740993n, line: 1 },
    { value: -9007199254740993n, line: 1 },
    { value: 9007199254740991, line: 1 },
    { value: 1.5, line: 1 },
  ]);
  assert.deepEqual(
    parseJsonKeepingBigIntegers('{"v":9007199254740993,"s":"9007199254740993","f":1e300}'),
    { v: 9007199254740993n, s: "9007199254740993", f: 1e300 },
  );
  const edn = (read: string) =>
    [
      "{:process 0, :type :invoke, :f :write, :value 9007199254740993}",
      "{:process 0, :type :ok, :f :write, :value 9007199254740993}",
      "{:process 0, :type :invoke, :f :read, :value nil}",
      `{:process 0, :type :ok, :f :read, :value ${read}}`,
    ].join("\n") + "\n";
  const jsonl = (read: string) =>
    [
      '{"process":0,"type":"invoke","f":"write","value":9007199254740993}',
      '{"process":0,"type":"ok","f":"write","value":9007199254740993}',
      '{"process":0,"type":"invoke","f":"read","value":null}',
      `{"process":0,"type":"ok","f":"read","value":${read}}`,
    ].join("\n") + "\n";
  for (const [ext, make] of [
    ["edn", edn],
    ["jsonl", jsonl],
  ] as const) {
    const wrong = await check(
      "--model",
      "register",
      file(`wrong.${ext}`, make("9007199254740992")),
    );
    assert.equal(wrong.exitCode, EXIT.invalid, `${ext}: ${wrong.stdout}${wrong.stderr}`);
    assert.match(wrong.stdout, /read 9007199254740992/);
    const right = await check(
      "--model",
      "register",
      file(`right.${ext}`, make("9007199254740993")),
    );
    assert.equal(right.exitCode, EXIT.valid, `${ext}: ${right.stdout}${right.stderr}`);
    // --json writes the exact digits.
    const json = await check(
      "--json",
      "--model",
      "register",
      file(`w.${ext}`, make("9007199254740992")),
    );
    assert.match(json.stdout, /9007199254740992/);
  }
});

test("bigints are written as bare integers, in messages and history lines, and read back exact", () => {
  // Any JSON value with bigints beyond 2^53 among its numbers (strings of digits stay strings).
  const big = fc
    .bigInt({ min: -(2n ** 70n), max: 2n ** 70n })
    .filter((b) => !Number.isSafeInteger(Number(b)));
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(big, fc.integer(), fc.string(), fc.boolean(), fc.constant(null)),
    node: fc.oneof(
      { depthSize: "small" },
      tie("leaf"),
      fc.array(tie("node"), { maxLength: 4 }),
      // Plain objects, as JSON.parse makes them.
      fc.dictionary(fc.string(), tie("node"), { maxKeys: 4, noNullPrototype: true }),
    ),
  })).node;
  fc.assert(
    fc.property(value, (v) => {
      const text = stringifyKeepingBigIntegers(v);
      assert.deepEqual(parseJsonKeepingBigIntegers(text), v);
      const line = opLine(0, { time: 1, process: 0, type: "ok", f: "read", value: v });
      assert.deepEqual((parseJsonKeepingBigIntegers(line) as { value: unknown }).value, v);
    }),
    { numRuns: 500 },
  );
  assert.equal(stringifyKeepingBigIntegers({ a: 9007199254740993n }), '{"a":9007199254740993}');
  assert.equal(stringifyKeepingBigIntegers({ a: "9007199254740993" }), '{"a":"9007199254740993"}');
  // Checkers of elements tell a bigint from the string of its digits.
  assert.notEqual(jsonKey(9007199254740993n), jsonKey("9007199254740993"));
  assert.equal(jsonKey([9007199254740993n]), jsonKey([BigInt("9007199254740993")]));
  assert.notEqual(jsonKey([9007199254740993n]), jsonKey([9007199254740992n]));
});

test("an op that does not pair up names the file and line", async () => {
  const twice = file(
    "twice.jsonl",
    [
      '{"process":0,"type":"invoke","f":"write","value":1}',
      "",
      '{"process":0,"type":"invoke","f":"write","value":2}',
      '{"process":0,"type":"ok","f":"write","value":2}',
    ].join("\n") + "\n",
  );
  const r = await check("--model", "register", twice);
  assert.equal(r.exitCode, EXIT.badInput);
  assert.match(
    r.stderr,
    /twice\.jsonl, line 3: process 0 invokes again while its invocation at .*twice\.jsonl, line 1 is still in flight/,
  );

  const orphan = file(
    "orphan.edn",
    "[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value nil}\n {:process 1, :type :ok, :f :write, :value 3}]\n",
  );
  const o = await check("--model", "register", orphan);
  assert.equal(o.exitCode, EXIT.badInput);
  assert.match(o.stderr, /orphan\.edn, line 3: this line completes \(ok\) a write for process 1/);
  // Loaded histories keep their lines; nothing is written into the ops themselves.
  const ops = await loadHistory(orphan);
  assert.equal(Object.keys(ops[0]!).includes("line"), false);
});

test("SIGINT while the CLI is still loading exits 6, as an interrupt later does", async () => {
  // From the sources the CLI takes over a second to load: 100 ms after the early hook is in,
  // it is in the middle of it. (Had loading finished, this check of a small file would exit 0,
  // and the test would say so.)
  const small = file("small.jsonl", '{"process":0,"type":"invoke","f":"read","value":null}\n');
  const child = execa(path.join(ROOT, "bin/faultline"), ["check", "--model", "register", small], {
    reject: false,
    cwd: ROOT,
    env: { FAULTLINE_FROM_SOURCE: "1" },
  });
  // Wait until the early hook is in (it names the Node process "faultline"), not a fixed
  // time: on a busy machine node itself may not have started 400 ms after the spawn. The
  // bash script bin/faultline is named "faultline" too, so the executable must be node.
  const hooked = () => {
    try {
      const exe = fs.readlinkSync(`/proc/${child.pid}/exe`);
      const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
      return /\/node[^/]*$/.test(exe) && /^Name:\s+faultline$/m.test(status);
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 1000 && !hooked(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(hooked(), "the CLI's Node process never took the name faultline within 10 s");
  await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGINT");
  const r = await child;
  assert.equal(r.exitCode, EXIT.interrupted, `${r.signal ?? ""} ${r.stdout} ${r.stderr}`);
});

test("the CLI bundle: files that read their neighbours find them from dist/cli.mjs", async () => {
  const r = await execa(process.execPath, [path.join(ROOT, "scripts/build-cli.mjs")], {
    cwd: ROOT,
  });
  assert.equal(r.exitCode, 0);
  const bundle = fs.readFileSync(path.join(ROOT, "dist/cli.mjs"), "utf8");
  // Every `import.meta.url` of a source file was rewritten to that file's own location.
  assert.match(
    bundle,
    /new URL\("\.\.\/targets\/two-phase-commit\/index\.ts", import\.meta\.url\)/,
  );
  assert.doesNotMatch(bundle, /new URL\("\.\/main\.ts", import\.meta\.url\)/);
  const help = await execa(process.execPath, [path.join(ROOT, "dist/cli.mjs"), "--help"], {
    reject: false,
  });
  assert.equal(help.exitCode, 0, help.stderr);
  assert.match(help.stdout, /Exit codes: 0 valid/);
});
