// Benchmark of the linearizability checker and the history parsers. Prints figures, asserts
// nothing. Each case runs in its own process so that its peak memory (max RSS) is its own.
// `node --import tsx bench/checker.bench.ts [case]` runs one case.
//   (a) one register, 20 processes, ~100 ops, many info ops
//   (b) a 10-key kv, 50 clients, 2,000 ops              (target: within 100 ms)
//   (c) 1,000,000 ops over 1,000 keys                    (target: within 10 s and 1 GiB)
//   (c-cli) the same history from a JSONL file through `bin/faultline check`
//   (p) Porcupine's kv benchmark shape: 50 clients on 10 keys, 1,700 ops, appends and gets,
//       a few puts (bench/kv-append-history.ts), valid and with one get corrupted; each
//       checked 5 times in one process: the first (cold) and the median of the others
//       (target: 0.15 s valid, 0.04 s invalid, half of Porcupine's 0.3 s and 0.08 s)
//   (p-cli) the same histories as JSONL files through `bin/faultline check --model kv`
//   (r) one register, 50,000 ops, no info, 10 clients, the default budget (target: valid)
//   (mem) one register, 30,000 ops, 50 clients: a search of a few hundred MB; its estimate of
//       its memory against the resident set size it grew by (target: within 20%)
//   parse: JSONL and EDN throughput, and the JSONL writer's
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Op } from "../histories/op.ts";
import { HistoryWriter } from "../histories/jsonl.ts";
import { loadHistory } from "../histories/load.ts";
import { checkLinearizable } from "../checkers/linearizable/index.ts";
import { corruptOneGet, kvAppendHistory } from "./kv-append-history.ts";
import { kvHistory as generate, type KvOptions as GenOptions } from "./kv-history.ts";

function edn(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (Array.isArray(v)) return `[${v.map(edn).join(" ")}]`;
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

function toEdn(ops: Op[]): string {
  const lines = ops.map(
    (o) =>
      `{:index ${o.index}, :time ${o.time}, :process ${o.process}, :type :${o.type}, :f :${o.f}, :key ${edn(o.key)}, :value ${edn(o.value)}}`,
  );
  return `[${lines.join("\n ")}]\n`;
}

const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

async function checkCase(
  name: string,
  gen: GenOptions,
  model = "kv",
  timeLimitMs = 60_000,
): Promise<void> {
  const history = generate(gen);
  const rssAfterGen = process.memoryUsage().rss;
  const r = await checkLinearizable(history, { model, timeLimitMs });
  const peak = process.resourceUsage().maxRSS * 1024;
  const infos = history.filter((o) => o.type === "info").length;
  console.log(
    `${name}: ${gen.ops} ops (${infos} info), ${gen.keys} key(s), ${gen.clients} clients -> ${r.valid} in ${r.elapsedMs} ms; ` +
      `${r.explored} configurations; peak RSS ${mb(peak)} (history alone ${mb(rssAfterGen)})`,
  );
  const { estimatedPeakMb, rssAtStartMb, rssPeakMb } = r.memory;
  const grew = rssPeakMb - rssAtStartMb;
  console.log(
    `  search memory: estimated ${estimatedPeakMb} MB, resident set grew by ${grew.toFixed(1)} MB while searching` +
      (grew >= 50 ? ` (estimate ${((estimatedPeakMb / grew - 1) * 100).toFixed(0)}% off)` : ""),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const P_SEEDS = [1, 2, 3, 4, 5];
const P_SHAPE = { clients: 50, keys: 10, ops: 1_700 };

/** Porcupine's kv benchmark shape, in-process: each history checked 5 times. */
async function porcupineCase(): Promise<void> {
  for (const corrupt of [false, true]) {
    const cold: number[] = [];
    const warm: number[] = [];
    for (const seed of P_SEEDS) {
      const history = kvAppendHistory({ ...P_SHAPE, seed });
      if (corrupt) corruptOneGet(history);
      const times: number[] = [];
      let last;
      for (let run = 0; run < 5; run++) {
        last = await checkLinearizable(history, { model: "kv" });
        times.push(last.elapsedMs);
      }
      cold.push(times[0]);
      warm.push(median(times.slice(1)));
      console.log(
        `(p) seed ${seed}${corrupt ? ", one get corrupted" : ""}: ${last!.valid}, ${last!.explored} configurations; ` +
          `first check ${times[0]} ms, then ${times.slice(1).join(", ")} ms`,
      );
    }
    console.log(
      `(p) ${corrupt ? "invalid" : "valid"}: median over seeds ${P_SEEDS.join(",")}: first check ${median(cold)} ms, ` +
        `later checks ${median(warm)} ms (slowest seed ${Math.max(...warm)} ms)`,
    );
  }
}

/** The same histories through the CLI: 3 runs each, the median wall time. */
async function porcupineCliCase(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-bench-"));
  const cli = path.join(fileURLToPath(new URL("..", import.meta.url)), "bin/faultline");
  spawnSync(cli, ["--help"]); // build the bundle first if a source is newer
  for (const corrupt of [false, true]) {
    const walls: number[] = [];
    for (const seed of P_SEEDS.slice(0, 3)) {
      const history = kvAppendHistory({ ...P_SHAPE, seed });
      if (corrupt) corruptOneGet(history);
      const file = path.join(dir, `p${seed}${corrupt ? "-bad" : ""}.jsonl`);
      const w = HistoryWriter.open(file);
      for (const { index: _index, ...op } of history) w.append(op);
      await w.close();
      const runs: { wall: number; kb: number; status: number | null }[] = [];
      for (let run = 0; run < 3; run++) {
        const r = spawnSync("/usr/bin/time", ["-f", "%e %M", cli, "check", "--model", "kv", file], {
          encoding: "utf8",
        });
        const [wall, kb] = (r.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
        runs.push({ wall, kb, status: r.status });
      }
      const wall = median(runs.map((r) => r.wall));
      walls.push(wall);
      console.log(
        `(p-cli) seed ${seed}${corrupt ? ", one get corrupted" : ""}: exit ${runs[0].status}, ${runs.map((r) => r.wall).join(", ")} s, peak RSS ${mb(Math.max(...runs.map((r) => r.kb)) * 1024)}`,
      );
    }
    console.log(`(p-cli) ${corrupt ? "invalid" : "valid"}: median ${median(walls)} s`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

async function parseCase(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-bench-"));
  const history = generate({ keys: 10, clients: 50, ops: 100_000, infoRate: 0.05, seed: 9 });
  const jsonlPath = path.join(dir, "history.jsonl");
  let t = performance.now();
  const w = HistoryWriter.open(jsonlPath);
  for (const { index: _, ...op } of history) w.append(op);
  await w.close();
  const writeS = (performance.now() - t) / 1000;
  const ednPath = path.join(dir, "history.edn");
  fs.writeFileSync(ednPath, toEdn(history));
  t = performance.now();
  const a = await loadHistory(jsonlPath);
  const jsonlS = (performance.now() - t) / 1000;
  t = performance.now();
  const b = await loadHistory(ednPath);
  const ednS = (performance.now() - t) / 1000;
  const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString("en")} ops/s`;
  console.log(
    `parse: JSONL ${rate(a.length, jsonlS)}, EDN ${rate(b.length, ednS)} (${history.length} ops each)`,
  );
  console.log(
    `write: HistoryWriter ${rate(history.length, writeS)} (append + flush + fsync on close)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The path a user takes: the history in a JSONL file, `bin/faultline check` on it, timed
 *  with its own peak memory (GNU time's max RSS of the CLI process). */
async function cliCase(name: string, gen: GenOptions): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-bench-"));
  const file = path.join(dir, "history.jsonl");
  const w = HistoryWriter.open(file);
  for (const { index: _index, ...op } of generate(gen)) w.append(op);
  await w.close();
  const cli = path.join(fileURLToPath(new URL("..", import.meta.url)), "bin/faultline");
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", cli, "check", "--model", "kv", file], {
    encoding: "utf8",
  });
  const [wallS, maxKb] = (r.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
  const verdict = r.stdout.split("\n")[0]?.slice(0, 60);
  console.log(
    `${name} through the CLI: ${gen.ops} ops in a ${mb(fs.statSync(file).size)} file -> exit ${r.status} (${verdict}) in ${wallS} s, peak RSS ${mb((maxKb ?? 0) * 1024)}`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

const CASES: Record<string, () => Promise<void>> = {
  a: () =>
    checkCase(
      "(a) register, many info",
      { keys: 1, clients: 20, ops: 100, infoRate: 0.4, seed: 1 },
      "cas-register",
    ),
  b: () =>
    checkCase("(b) 10-key kv", { keys: 10, clients: 50, ops: 2_000, infoRate: 0.05, seed: 2 }),
  c: () =>
    checkCase("(c) 1M ops, 1,000 keys", {
      keys: 1_000,
      clients: 100,
      ops: 1_000_000,
      infoRate: 0.01,
      seed: 3,
    }),
  "c-cli": () =>
    cliCase("(c) 1M ops, 1,000 keys", {
      keys: 1_000,
      clients: 100,
      ops: 1_000_000,
      infoRate: 0.01,
      seed: 3,
    }),
  p: porcupineCase,
  "p-cli": porcupineCliCase,
  r: () =>
    checkCase(
      "(r) one register",
      { keys: 1, clients: 10, ops: 50_000, infoRate: 0, seed: 5 },
      "cas-register",
    ),
  mem: () =>
    checkCase(
      "(mem) one register, 50 clients",
      { keys: 1, clients: 50, ops: 30_000, infoRate: 0, seed: 5 },
      "cas-register",
    ),
  parse: parseCase,
};

const which = process.argv[2];
if (which && CASES[which]) {
  await CASES[which]();
} else {
  const self = fileURLToPath(import.meta.url);
  for (const name of Object.keys(CASES)) {
    const r = spawnSync(process.execPath, ["--import", "tsx", self, name], { stdio: "inherit" });
    if (r.status !== 0) console.log(`(${name}) failed with status ${r.status}`);
  }
}
