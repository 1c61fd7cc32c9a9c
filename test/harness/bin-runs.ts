// What the --bin end-to-end tests share: the programs of test/nodes/ per workload, run through
// the real CLI against real containers under partitions, and re-checked from the store.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";

export const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-bin-"));

/** One node program per workload, correct and deliberately wrong (test/nodes/README.md). */
export const PROGRAMS: { workload: string; correct: string; wrong: string }[] = [
  { workload: "echo", correct: "python/echo.py", wrong: "js/echo-wrong.js" },
  { workload: "unique-ids", correct: "python/unique_ids.py", wrong: "python/unique_ids_wrong.py" },
  { workload: "broadcast", correct: "js/broadcast.js", wrong: "js/broadcast-wrong.js" },
  { workload: "g-set", correct: "js/g-set.js", wrong: "js/g-set-wrong.js" },
  { workload: "g-counter", correct: "python/g_counter.py", wrong: "python/g_counter_wrong.py" },
  { workload: "pn-counter", correct: "js/pn-counter.js", wrong: "js/pn-counter-wrong.js" },
  // The correct one forwards every request to n1, which answers the client directly.
  { workload: "lin-kv", correct: "python/lin_kv.py", wrong: "python/lin_kv_wrong.py" },
  // The correct one forwards to n1 too; the wrong one keeps a log per node.
  { workload: "kafka", correct: "python/kafka.py", wrong: "python/kafka_wrong.py" },
];

export async function needDocker(): Promise<void> {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
}

export interface CliRun {
  code: number;
  output: string;
  dir?: string;
  seconds: number;
}

/** `faultline run --bin test/nodes/<program> --workload <w>` (or an absolute path) under
 *  partitions, 3 nodes. A later `--seed` in `extra` overrides the default. */
export async function runBin(
  program: string,
  workload: string,
  extra: string[] = [],
): Promise<CliRun> {
  const started = performance.now();
  const r = await execa(
    join(root, "bin/faultline"),
    [
      "run",
      "--bin",
      program.startsWith("/") ? program : join(root, "test/nodes", program),
      "--workload",
      workload,
      "--nodes",
      "3",
      "--nemesis",
      "partition",
      "--nemesis-interval",
      "2",
      "--time-limit",
      "10",
      "--settle",
      "4",
      ...(extra.includes("--seed") ? [] : ["--seed", "8"]),
      "--store",
      store,
      ...extra,
    ],
    { cwd: root, reject: false, all: true },
  );
  const dir = /Stored in (\S+)/.exec(r.all ?? "")?.[1];
  return {
    code: r.exitCode ?? -1,
    output: r.all ?? "",
    dir,
    seconds: (performance.now() - started) / 1000,
  };
}

/** `faultline check <dir>`: the stored run checked again from its test.json alone. */
export async function recheck(dir: string): Promise<CliRun> {
  const started = performance.now();
  const r = await execa(join(root, "bin/faultline"), ["check", dir], {
    cwd: root,
    reject: false,
    all: true,
  });
  return {
    code: r.exitCode ?? -1,
    output: r.all ?? "",
    seconds: (performance.now() - started) / 1000,
  };
}

export function testJson(dir: string): Record<string, unknown> & {
  program?: { sha256: string; entry: string };
  workload: string;
} {
  return JSON.parse(readFileSync(join(dir, "test.json"), "utf8"));
}
