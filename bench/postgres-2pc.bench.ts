// The postgres-2pc target through the CLI, as a user runs it. Prints figures; asserts nothing.
// Needs Docker and the node image (make setup); the image with PostgreSQL is built once.
//
// 1. Transfers per second: without faults, and under kill,partition (default interval).
// 2. The correct coordinator and the commit-before-log variant under kills every 2 s (the
//    end-to-end test's schedule), one 30 s run per seed: verdict, money lost or made, the
//    coordinator's recoveries (prepared transactions found in doubt, the longest wait), and
//    the run's wall time (the verdict comes with the final reads: that is the time to catch).
//
// Seeds: FAULTLINE_BENCH_SEEDS="401,402" (default 401-410, never used while tuning).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const TIME_LIMIT = 30;
const SEEDS = (process.env.FAULTLINE_BENCH_SEEDS ?? "401,402,403,404,405,406,407,408,409,410")
  .split(",")
  .map(Number);
const KILLS = ["--nemesis", "kill", "--nemesis-interval", "2"];
const store = mkdtempSync(join(tmpdir(), "faultline-bench-pg2pc-"));

interface Bank {
  valid: boolean | "unknown";
  reason?: string;
  transfers: { ok: number; fail: number; info: number };
  finalTotal?: number | null;
  openingTotal?: number;
  recovery?: {
    starts?: number;
    recovery?: { found?: number; committed?: number; rolled_back?: number };
    max_in_doubt_s?: number;
  };
}

async function cli(args: string[]): Promise<{ exitCode: number; wallS: number; bank: Bank }> {
  const started = Date.now();
  const argv = ["--import", "tsx", join(ROOT, "harness/cli.ts"), "run"];
  argv.push("--target", "postgres-2pc", "--time-limit", String(TIME_LIMIT));
  argv.push("--store", store, ...args);
  const exitCode = await run(process.execPath, argv, { cwd: ROOT, maxBuffer: 1 << 26 }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );
  const wallS = (Date.now() - started) / 1000;
  const stored = JSON.parse(readFileSync(join(store, "latest", "results.json"), "utf8")) as {
    results: { bank: Bank };
  };
  return { exitCode, wallS, bank: stored.results.bank };
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const perSecond = (b: Bank) =>
  `${((b.transfers.ok + b.transfers.fail) / TIME_LIMIT).toFixed(1)} decided/s (${(b.transfers.ok / TIME_LIMIT).toFixed(1)} ok)`;

function describe(r: { exitCode: number; wallS: number; bank: Bank }): string {
  const b = r.bank;
  const rec = b.recovery;
  const money =
    b.finalTotal != null && b.openingTotal !== undefined
      ? `money ${b.finalTotal - b.openingTotal >= 0 ? "+" : ""}${b.finalTotal - b.openingTotal}`
      : "no final total";
  const recovery = rec?.recovery
    ? `${rec.starts} starts, ${rec.recovery.found} in doubt found (${rec.recovery.rolled_back} rolled back), longest ${rec.max_in_doubt_s} s`
    : "no recovery figures";
  return `exit ${r.exitCode}, ${money}, ${recovery}, ${r.wallS.toFixed(0)} s wall`;
}

try {
  console.log(`postgres-2pc, 5 nodes, ${TIME_LIMIT} s runs, seeds ${SEEDS.join(",")}`);
  const quiet = await cli(["--nemesis", "none", "--seed", String(SEEDS[0])]);
  console.log(`\nNo faults: ${perSecond(quiet.bank)} (exit ${quiet.exitCode}, load ${load()})`);
  const faulty = await cli(["--nemesis", "kill,partition", "--seed", String(SEEDS[0])]);
  console.log(`kill,partition: ${perSecond(faulty.bank)}; ${describe(faulty)} (load ${load()})`);

  for (const variant of ["correct", "commit-before-log"]) {
    let caught = 0;
    const walls: number[] = [];
    const lines: string[] = [];
    for (const seed of SEEDS) {
      const r = await cli(["--variant", variant, ...KILLS, "--seed", String(seed)]);
      if (r.exitCode === 1) {
        caught++;
        walls.push(r.wallS);
      }
      lines.push(`    seed ${seed}: ${describe(r)}`);
    }
    walls.sort((a, b) => a - b);
    const median = walls.length
      ? `${walls[Math.floor((walls.length - 1) / 2)]!.toFixed(0)} s`
      : "-";
    console.log(
      `\n${variant}, kills every 2 s: invalid on ${caught}/${SEEDS.length}, median wall time to the INVALID verdict ${median} (load ${load()})`,
    );
    for (const l of lines) console.log(l);
  }
} finally {
  rmSync(store, { recursive: true, force: true });
}
