// Benchmark of the atomic-commit checker through the CLI: generates a correct history of
// 10,000 transactions (5 nodes, n1 coordinating; states queries to a random node as 5% of the
// ops, every node's report holding every transaction it knows; the coordinator killed a few
// times while participants are READY; two final rounds), writes it as JSONL and times
// `bin/faultline check --checker atomic-commit` on it. Prints figures, asserts nothing.
//   node --import tsx bench/atomic-commit.bench.ts [transactions]   (KEEP=1 keeps the file)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const MS = 1_000_000;
const TXNS = Number(process.argv[2] ?? 10_000);
const NODES = ["n1", "n2", "n3", "n4", "n5"];
const PARTICIPANTS = NODES.slice(1);
/** Every this many transactions, the coordinator is killed for KILL_MS. */
const KILL_EVERY = 2_000;
const KILL_MS = 500;
const STATES_SHARE = 0.05;

let seed = 42;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

type Event = { time: number; [k: string]: unknown };
type Transitions = [string, number][];

function generate(): { events: Event[]; clientOps: number } {
  const events: Event[] = [];
  // Per node: [id, transitions] in order of the first transition.
  const known = new Map<string, [string, Transitions][]>(NODES.map((n) => [n, []]));
  const skew = new Map(NODES.map((n) => [n, between(-100_000, 100_000)]));
  let process = 0;
  let t = 1_000;
  let downUntil = -1;
  for (let k = 1; k <= TXNS; k++) {
    t += between(1, 4);
    if (k % KILL_EVERY === 0) {
      events.push({ time: t, process: "nemesis", type: "invoke", f: "kill", value: ["n1"] });
      events.push({ time: t + 5, process: "nemesis", type: "info", f: "kill", value: ["n1"] });
      downUntil = t + KILL_MS;
      events.push({
        time: downUntil - 20,
        process: "nemesis",
        type: "invoke",
        f: "start",
        value: ["n1"],
      });
      events.push({ time: downUntil, process: "nemesis", type: "info", f: "start", value: ["n1"] });
    }
    const id = `t${k}`;
    let members = PARTICIPANTS.filter(() => rand() < 0.5);
    if (members.length === 0) members = [PARTICIPANTS[between(0, PARTICIPANTS.length - 1)]!];
    const votes = Object.fromEntries(members.map((n) => [n, rand() < 0.9]));
    const allYes = members.every((n) => votes[n]);
    // Votes are in by t + 3; a decision that falls in an outage waits for the restart.
    let decided = t + 3 + between(1, 10);
    const inOutage = decided >= downUntil - KILL_MS && decided < downUntil;
    if (inOutage) decided = downUntil + between(5, 50);
    const commit = allYes;
    known.get("n1")!.push([
      id,
      [
        ["WAIT", t + 1],
        [commit ? "COMMIT" : "ABORT", decided],
      ],
    ]);
    for (const n of members)
      known.get(n)!.push([
        id,
        votes[n]
          ? [
              ["INIT", t + 2],
              ["READY", t + 3],
              [commit ? "COMMIT" : "ABORT", decided + between(1, 5)],
            ]
          : [
              ["INIT", t + 2],
              ["ABORT", t + 3],
            ],
      ]);
    const p = process++;
    const value = { id, votes };
    events.push({ time: t, process: p, type: "invoke", f: "txn", node: "n1", value });
    const done = inOutage ? t + 100 : decided + 2;
    events.push(
      inOutage
        ? { time: done, process: p, type: "info", f: "txn", node: "n1", value, error: "timeout" }
        : commit
          ? {
              time: done,
              process: p,
              type: "ok",
              f: "txn",
              node: "n1",
              value: { ...value, decision: "commit" },
            }
          : { time: done, process: p, type: "fail", f: "txn", node: "n1", value, error: "abort" },
    );
    if (rand() < STATES_SHARE / (1 - STATES_SHARE))
      events.push(...states(NODES[between(0, NODES.length - 1)]!, t, false));
  }
  const end = t + 1_000;
  for (const round of [0, 1])
    NODES.forEach((n, i) => events.push(...states(n, end + round * 50 + i * 5, true)));

  function states(node: string, at: number, final: boolean): Event[] {
    const txns: Record<string, Transitions> = {};
    const s = skew.get(node)!;
    for (const [id, ts] of known.get(node)!) {
      if (ts[0]![1] >= at) break;
      txns[id] = ts.filter(([, ms]) => ms < at).map(([st, ms]) => [st, ms + s]);
    }
    const p = process++;
    const mark = final ? { final: true } : {};
    const role = node === "n1" ? "coordinator" : "participant";
    return [
      { time: at - 1, process: p, type: "invoke", f: "states", node, ...mark },
      {
        time: at,
        process: p,
        type: "ok",
        f: "states",
        node,
        value: { role, now: at + s, txns },
        ...mark,
      },
    ];
  }
  const clientOps = events.filter((e) => e.type === "invoke" && e.process !== "nemesis").length;
  return { events, clientOps };
}

const started = performance.now();
const { events, clientOps } = generate();
events.sort((a, b) => a.time - b.time);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-ac-bench-"));
const file = path.join(dir, "history.jsonl");
const fd = fs.openSync(file, "w");
events.forEach((e, index) => {
  fs.writeSync(fd, JSON.stringify({ index, ...e, time: e.time * MS }) + "\n");
});
fs.closeSync(fd);
const genMs = performance.now() - started;
const mb = fs.statSync(file).size / 1e6;
console.log(
  `generated ${TXNS} transactions, ${clientOps} client ops, ${events.length} ops, ${mb.toFixed(1)} MB in ${Math.round(genMs)} ms`,
);

const t0 = performance.now();
const r = spawnSync(
  path.join(ROOT, "bin/faultline"),
  ["check", "--checker", "atomic-commit", file],
  { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
);
const wallMs = performance.now() - t0;
const lines = r.stdout.trim().split("\n");
const checkMs = /; (\d+) ms\)$/.exec(lines[lines.length - 1] ?? "")?.[1];
for (const line of lines.filter((l) => /^(blocking| {2}READY while)/.test(l))) console.log(line);
console.log(
  `faultline check --checker atomic-commit: exit ${r.status}, ${Math.round(wallMs)} ms wall (process start, loading the history and checking), of which checking ${checkMs ?? "?"} ms`,
);
console.log(
  `load: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")} on ${os.cpus().length} cores`,
);
if (r.status !== 0) console.log(r.stdout + r.stderr);
if (process.env.KEEP) console.log(file);
else fs.rmSync(dir, { recursive: true, force: true });
