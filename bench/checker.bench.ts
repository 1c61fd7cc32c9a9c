// Benchmark of the linearizability checker and the history parsers. Prints figures, asserts
// nothing. Each case runs in its own process so that its peak memory (max RSS) is its own.
//   (a) one register, 20 processes, ~100 ops, many info ops
//   (b) a 10-key kv, 50 clients, 2,000 ops              (target: within 100 ms)
//   (c) 1,000,000 ops over 1,000 keys                    (target: within 10 s and 1 GiB)
//   (c-cli) the same history from a JSONL file through `bin/faultline check`
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

interface GenOptions {
  keys: number;
  clients: number;
  ops: number;
  /** Chance that an op ends as info (half of them never take effect). */
  infoRate: number;
  seed: number;
}

/** A seeded history of a correct kv store (read/write/cas) under random concurrency. */
function generate(o: GenOptions): Op[] {
  let x = o.seed | 0 || 1;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(rand() * n);
  const history: Op[] = [];
  const state = new Map<string, number | null>();
  type Flight = {
    process: number;
    f: string;
    key: string;
    value: unknown;
    applied: boolean;
    result?: unknown;
    rejected?: boolean;
  };
  const clients: (Flight | undefined)[] = new Array(o.clients).fill(undefined);
  const processOf = Array.from({ length: o.clients }, (_, i) => i);
  let nextProcess = o.clients;
  let invoked = 0;
  let inFlight = 0;
  const emit = (process: number, type: Op["type"], f: string, key: string, value: unknown) =>
    history.push({
      index: history.length,
      time: history.length * 1000,
      process,
      type,
      f,
      key,
      value,
    });
  const apply = (p: Flight) => {
    p.applied = true;
    const cur = state.get(p.key) ?? null;
    if (p.f === "read") p.result = cur;
    else if (p.f === "write") state.set(p.key, p.value as number);
    else {
      const [from, to] = p.value as [number, number];
      if (cur === from) state.set(p.key, to);
      else p.rejected = true;
    }
  };
  while (invoked < o.ops || inFlight > 0) {
    const c = int(o.clients);
    const p = clients[c];
    if (!p) {
      if (invoked >= o.ops) continue;
      const key = `k${int(o.keys)}`;
      const r = rand();
      const f = r < 0.5 ? "read" : r < 0.8 ? "write" : "cas";
      const value = f === "read" ? null : f === "write" ? int(5) : [int(5), int(5)];
      clients[c] = { process: processOf[c], f, key, value, applied: false };
      emit(processOf[c], "invoke", f, key, value);
      invoked++;
      inFlight++;
      continue;
    }
    const info = rand() < o.infoRate / 2;
    if (!p.applied && !info) {
      apply(p);
      continue;
    }
    clients[c] = undefined;
    inFlight--;
    if (info || rand() < o.infoRate / 2) {
      emit(p.process, "info", p.f, p.key, p.value);
      processOf[c] = nextProcess++; // retired: the client continues as a fresh process
    } else if (p.rejected) emit(p.process, "fail", p.f, p.key, p.value);
    else emit(p.process, "ok", p.f, p.key, p.f === "read" ? p.result : p.value);
  }
  return history;
}

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

async function checkCase(name: string, gen: GenOptions, model = "kv"): Promise<void> {
  const history = generate(gen);
  const rssAfterGen = process.memoryUsage().rss;
  const r = await checkLinearizable(history, { model, timeLimitMs: 60_000 });
  const peak = process.resourceUsage().maxRSS * 1024;
  const infos = history.filter((o) => o.type === "info").length;
  console.log(
    `${name}: ${gen.ops} ops (${infos} info), ${gen.keys} key(s), ${gen.clients} clients -> ${r.valid} in ${r.elapsedMs} ms; ` +
      `${r.explored} configurations; peak RSS ${mb(peak)} (history alone ${mb(rssAfterGen)})`,
  );
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
