// history.jsonl: writer and reader, a writer killed mid-run, truncated and malformed lines.
import { mangled, parsesOrRefuses } from "./fuzz.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import fc from "fast-check";
import { HistoryWriter, opLine, parseJsonl, readHistory } from "../../histories/jsonl.ts";
import { UserError } from "../../core/errors.ts";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "faultline-jsonl-"));
const here = path.dirname(new URL(import.meta.url).pathname);

test("what the writer appends, the reader returns, with indexes assigned", async () => {
  const file = path.join(tmp(), "history.jsonl");
  const w = HistoryWriter.open(file);
  const a = w.append({ time: 1, process: 0, type: "invoke", f: "write", value: 4, key: "k1" });
  w.append({ time: 2, process: 0, type: "ok", f: "write", value: 4, key: "k1" });
  w.append({ time: 3, process: "nemesis", type: "info", f: "kill", value: ["n1"] });
  await w.close();
  await w.close(); // safe twice
  assert.equal(a.index, 0);
  const ops = await readHistory(file);
  assert.deepEqual(
    ops.map((o) => o.index),
    [0, 1, 2],
  );
  assert.deepEqual(ops[2], {
    index: 2,
    time: 3,
    process: "nemesis",
    type: "info",
    f: "kill",
    value: ["n1"],
  });
});

test("appended ops reach the file within milliseconds, without close", async () => {
  const file = path.join(tmp(), "history.jsonl");
  const w = HistoryWriter.open(file);
  w.append({ time: 1, process: 0, type: "invoke", f: "read" });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await readHistory(file)).length, 1);
  await w.close();
});

test("records well over 5,000 ops/s", async () => {
  const file = path.join(tmp(), "history.jsonl");
  const w = HistoryWriter.open(file);
  const n = 50_000;
  const started = performance.now();
  for (let i = 0; i < n; i++)
    w.append({
      time: i,
      process: i % 50,
      type: i % 2 ? "ok" : "invoke",
      f: "write",
      key: `k${i % 10}`,
      value: i,
    });
  await w.close();
  const perSecond = n / ((performance.now() - started) / 1000);
  assert.ok(perSecond > 20_000, `only ${Math.round(perSecond)} ops/s`);
  assert.equal((await readHistory(file)).length, n);
});

test("a writer killed with SIGKILL leaves a readable history", async () => {
  const dir = tmp();
  const file = path.join(dir, "history.jsonl");
  const script = path.join(dir, "writer.mts");
  const jsonl = path.resolve(here, "../../histories/jsonl.ts");
  fs.writeFileSync(
    script,
    `import { HistoryWriter } from ${JSON.stringify(jsonl)};
     const w = HistoryWriter.open(${JSON.stringify(file)});
     let i = 0;
     setInterval(() => { for (let k = 0; k < 200; k++) { w.append({ time: i, process: i % 7, type: i % 2 ? "ok" : "invoke", f: "write", value: "x".repeat(i % 300) }); i++; } }, 1);
     console.log("started");`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: path.resolve(here, "../.."),
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  await new Promise((r) => setTimeout(r, 400));
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const ops = await readHistory(file);
  assert.ok(ops.length > 1000, `only ${ops.length} ops survived`);
  ops.forEach((o, i) => assert.equal(o.index, i));
});

test("a truncated last line is ignored; a malformed line elsewhere names its line", async () => {
  const dir = tmp();
  const good = `{"index":0,"time":0,"process":1,"type":"invoke","f":"read"}\n`;
  const cut = path.join(dir, "cut.jsonl");
  fs.writeFileSync(cut, good + `{"index":1,"time":5,"proc`);
  assert.equal((await readHistory(cut)).length, 1);
  const bad = path.join(dir, "bad.jsonl");
  fs.writeFileSync(
    bad,
    good + `{"index":1,"time":5,"process":1,"type":"done","f":"read"}\n` + good,
  );
  await assert.rejects(
    readHistory(bad),
    (e: unknown) =>
      e instanceof UserError &&
      e.exitCode === 4 &&
      e.message.includes(`${bad}, line 2: expected "type" to be`),
  );
  fs.writeFileSync(bad, good + "not json\n");
  await assert.rejects(readHistory(bad), /line 2: expected one JSON object per line/);
  await assert.rejects(readHistory(path.join(dir, "missing.jsonl")), /Cannot read history file/);
});

test("the in-memory parser never crashes on random or truncated input", () => {
  const sample = `{"index":0,"time":0,"process":1,"type":"invoke","f":"cas","value":[1,2],"key":"a"}\n{"index":1,"time":9,"process":1,"type":"ok","f":"cas","value":[1,2],"key":"a"}\n`;
  fc.assert(
    fc.property(mangled(sample), (text) => parsesOrRefuses(() => parseJsonl(text, "h.jsonl"))),
    { numRuns: 2000 },
  );
});

test("a history line is exactly what JSON.stringify writes, with index first", () => {
  const value = fc.oneof(
    fc.double(),
    fc.string(),
    fc.string({ unit: "binary" }), // lone surrogates, quotes, control characters
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.jsonValue(),
    fc.func(fc.integer()),
  );
  // Op fields are names, never array indexes (which JavaScript orders before all other keys).
  const name = fc.string().filter((k) => !/^(0|[1-9]\d*)$/.test(k));
  const op = fc.dictionary(fc.oneof(name, fc.constantFrom("time", "f", "index")), value);
  fc.assert(
    fc.property(fc.nat(), op, (index, o) => {
      // index first, with its own value even if the op held another (fromEntries, not a
      // spread or assign: a key named __proto__ stays a key)
      const rest = JSON.stringify(
        Object.fromEntries(Object.entries(o).filter(([k]) => k !== "index")),
      );
      const expected = `{"index":${index}${rest === "{}" ? "" : `,${rest.slice(1, -1)}`}}\n`;
      assert.equal(opLine(index, o), expected);
      // The same op built as the workers build theirs, with its index as the first key.
      const indexFirst = Object.fromEntries([
        ["index", index],
        ...Object.entries(o).filter(([k]) => k !== "index"),
      ]);
      assert.equal(opLine(index, indexFirst), expected);
    }),
    { numRuns: 2000 },
  );
});
