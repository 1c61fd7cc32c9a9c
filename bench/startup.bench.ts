// Start-up of the CLI as a user meets it: `bin/faultline --help`, and `bin/faultline check` of
// a small history file, each run 20 times as a fresh process (after one warm-up run, which
// also rebuilds the bundle if a source changed). Prints the median and the slowest, and the
// same `--help` run from the sources through tsx (FAULTLINE_FROM_SOURCE=1) for comparison.
// Asserts nothing.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = join(ROOT, "bin/faultline");
const RUNS = 20;

const dir = mkdtempSync(join(tmpdir(), "faultline-bench-startup-"));
const small = join(dir, "small.jsonl");
const ops: string[] = [];
for (let i = 0; i < 50; i++) {
  ops.push(JSON.stringify({ process: i % 5, type: "invoke", f: "write", value: i }));
  ops.push(JSON.stringify({ process: i % 5, type: "ok", f: "write", value: i }));
}
writeFileSync(small, ops.join("\n") + "\n");

function timeRuns(label: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const run = () => {
    const started = process.hrtime.bigint();
    execFileSync(CLI, args, { env: { ...process.env, ...env }, stdio: "ignore" });
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  run(); // warm-up (and a rebuild of a stale bundle)
  const s = Array.from({ length: RUNS }, run).sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  console.log(
    `${label}: median ${median.toFixed(3)} s, slowest ${s[s.length - 1]!.toFixed(3)} s (${RUNS} runs)`,
  );
}

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
timeRuns("faultline --help", ["--help"]);
timeRuns("faultline check (100-op history file)", ["check", "--model", "register", small]);
timeRuns("faultline --help from source (tsx)", ["--help"], { FAULTLINE_FROM_SOURCE: "1" });
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
