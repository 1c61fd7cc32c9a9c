// `faultline run`: one (or --test-count) seeded run(s) against a target; exits 0 valid,
// 1 invalid, 2 unknown, 3 harness error, 4 bad input, 5 environment, 6 interrupted.
import { SHARED_RUN_OPTIONS } from "./run-options.ts";
import type { CommandModule } from "yargs";
import { EXIT, UserError, type ExitCode } from "../../core/errors.ts";
import { binTarget } from "../../targets/bin/index.ts";
import type { Target } from "../../targets/types.ts";
import { getTarget } from "../../targets/index.ts";
import { createCluster } from "../runtime/index.ts";
import { getWorkload, workloadName, workloads } from "../workloads/index.ts";
import { FAULT_KINDS, parseFaultKinds } from "../../nemesis/schedule.ts";
import { runTest, type RunStatus } from "../run/orchestrate.ts";
import { writeOutFile } from "../run/artifacts.ts";
import { junitDocument, type JunitSuite } from "../report/junit.ts";
import { withInterrupt } from "./interrupt.ts";
import { RUN_DEFAULTS, validateSpec, type RunSpec } from "../run/spec.ts";
import { summaryLines } from "../report/summary.ts";

/** The faults of a run whose target names none of its own. */
export const DEFAULT_NEMESIS = "partition,kill";

/** The target's first workload; lin-kv for a target that takes any (--bin). */
export function defaultWorkload(target: Target): string {
  const first = target.workloads[0];
  return first === undefined || first === "*" ? RUN_DEFAULTS.workload : first;
}

interface RunArgs {
  target: string;
  variant?: string;
  nodes?: number;
  workload?: string;
  bin?: string;
  "bin-arg"?: (string | number)[];
  "image-packages"?: string;
  nemesis?: string;
  "nemesis-interval": number;
  byzantine?: number;
  "time-limit": number;
  concurrency: number;
  keys?: number;
  seed?: number;
  rate: number;
  "timeout-ms"?: number;
  settle: number;
  "test-count": number;
  store: string;
  "check-time-limit": number;
  "live-check": boolean;
  "stop-on-violation": boolean;
  junit?: string;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: "run",
  describe:
    "Start a cluster, drive a seeded workload while a nemesis injects faults, check and store the history",
  builder: (y) =>
    y
      .option("target", {
        type: "string",
        default: "raft",
        describe: "System under test (`faultline targets` lists them)",
      })
      .option("variant", {
        type: "string",
        describe: "A deliberately broken variant of the target, e.g. local-read",
      })
      .option("nodes", {
        type: "number",
        describe: "Number of nodes (default: the target's, 5 for raft, 3 for --bin)",
      })
      .option("bin", {
        type: "string",
        describe:
          "Run your own node program (a script with its folder, a binary, or a folder with an entry point) instead of a target",
      })
      .option("bin-arg", {
        type: "array",
        string: true,
        describe: "An argument for the --bin program (repeat for several)",
      })
      .option("image-packages", {
        type: "string",
        describe:
          "Debian packages the --bin program needs in the node image, comma-separated (built once, cached)",
      })
      .option("workload", {
        type: "string",
        describe: `Client workload (default: the target's first, ${RUN_DEFAULTS.workload} for raft and --bin)`,
      })
      .option("nemesis", {
        type: "string",
        describe: `Faults, comma-separated: ${FAULT_KINDS.join(",")} (or none; default: the target's, ${DEFAULT_NEMESIS} for most)`,
      })
      .options(SHARED_RUN_OPTIONS)
      .option("time-limit", {
        type: "number",
        default: RUN_DEFAULTS.timeLimitSeconds,
        describe: "Seconds of client ops under faults",
      })
      .option("concurrency", {
        type: "number",
        default: RUN_DEFAULTS.concurrency,
        describe: "Logical client processes, spread over the nodes",
      })
      .option("keys", {
        type: "number",
        describe: "Keys the workload uses, for a workload with keys (lin-kv: default 3)",
      })
      .option("seed", {
        type: "number",
        describe: "Seed of the op values and fault schedule (default: random, printed)",
      })
      .option("test-count", {
        type: "number",
        default: 1,
        describe: "Run this many times (seeds seed, seed+1, ...); stops at the first non-valid run",
      })
      .option("store", {
        type: "string",
        default: RUN_DEFAULTS.store,
        describe: "Root folder of stored runs",
      })
      .option("live-check", {
        type: "boolean",
        default: RUN_DEFAULTS.liveCheck,
        describe:
          "Check the history every few seconds while the run goes on; the progress line shows the verdict so far (--no-live-check turns it off)",
      })
      .option("stop-on-violation", {
        type: "boolean",
        default: RUN_DEFAULTS.stopOnViolation,
        describe:
          "End the run at the live check's first violation: heal, store and report it at once",
      })
      .option("junit", {
        type: "string",
        describe:
          "Also write the JUnit XML here (one test suite per run with --test-count), for CI",
      })
      .example("$0 run", "Raft, 5 nodes, lin-kv workload, partitions and kills for 60 s")
      .example(
        "$0 run --target raft --variant local-read --time-limit 20 --seed 7",
        "Find the stale reads of a broken Raft",
      )
      .example(
        "$0 run --nemesis partition,pause,clock --nemesis-interval 3 --test-count 5",
        "Five runs with other faults",
      ),
  handler: async (args) => {
    const code = await runFromArgs(args);
    process.exitCode = code;
  },
};

async function runFromArgs(args: RunArgs): Promise<ExitCode> {
  // Bad names and paths fail here, before anything is printed or started.
  const target = await targetFromArgs(args);
  const workload = workloadName(args.workload ?? defaultWorkload(target));
  const faults = parseFaultKinds(
    args.nemesis ?? (target.defaultNemesis ?? [DEFAULT_NEMESIS]).join(","),
  );
  if (args.keys !== undefined && workloads[workload]?.keys === undefined)
    throw new UserError(
      `--keys is for a workload with keys (${Object.keys(workloads)
        .filter((w) => workloads[w]!.keys !== undefined)
        .join(", ")}); ${workload} has none.`,
    );
  const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
  // First SIGINT/SIGTERM: stop, heal, tear down, store as incomplete. A second: leave now,
  // saying what is left and how to remove it.
  return withInterrupt(async (interrupt) => {
    const suites: JunitSuite[] = [];
    let worst: ExitCode = EXIT.valid;
    for (let i = 0; i < args["test-count"]; i++) {
      const spec: RunSpec = {
        target: target.name,
        ...(args.variant ? { variant: args.variant } : {}),
        nodes: args.nodes ?? target.defaultNodes,
        workload,
        nemesis: faults,
        ...(args.byzantine !== undefined ? { byzantine: args.byzantine } : {}),
        nemesisIntervalSeconds: args["nemesis-interval"],
        timeLimitSeconds: args["time-limit"],
        concurrency: args.concurrency,
        ...(args.keys !== undefined ? { keys: args.keys } : {}),
        seed: seed + i,
        rate: args.rate,
        timeoutMs: args["timeout-ms"] ?? target.defaultTimeoutMs ?? RUN_DEFAULTS.timeoutMs,
        settleSeconds: args.settle,
        store: args.store,
        checkTimeLimitMs: args["check-time-limit"] * 1000,
        checkMemoryLimitMb: RUN_DEFAULTS.checkMemoryLimitMb,
        // --stop-on-violation needs the live check, whatever --live-check says.
        liveCheck: args["live-check"] || args["stop-on-violation"],
        stopOnViolation: args["stop-on-violation"],
        // A --bin run stores what it ran: path, entry point, arguments, sha256 of the files.
        ...("program" in target ? { program: target.program as Record<string, unknown> } : {}),
      };
      validateSpec(spec);
      console.error(
        `faultline: run ${i + 1}/${args["test-count"]}: ${spec.target}${spec.variant ? `/${spec.variant}` : ""}, ${spec.nodes} nodes, ${spec.workload}, nemesis ${spec.nemesis.join(",") || "none"}, ${spec.timeLimitSeconds}s, seed ${spec.seed}`,
      );
      const status: RunStatus = { clusterLive: false };
      interrupt.status = status;
      const outcome = await runTest(spec, {
        getTarget: (name) => (name === target.name ? target : getTarget(name)),
        getWorkload,
        createCluster,
        signal: interrupt.signal,
        status,
      });
      for (const line of summaryLines(outcome)) console.log(line);
      suites.push(outcome.junit);
      if (args.junit !== undefined) writeOutFile(args.junit, junitDocument(suites));
      worst = Math.max(worst, outcome.exitCode) as ExitCode;
      if (outcome.exitCode !== EXIT.valid) break;
    }
    if (args.junit !== undefined && suites.length > 0) console.log(`JUnit: ${args.junit}`);
    return worst;
  });
}

/** The target a run's flags name: --bin's program, or --target's. */
async function targetFromArgs(args: RunArgs): Promise<Target> {
  const packages = (args["image-packages"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (args.bin === undefined) {
    if (args["bin-arg"] || packages.length > 0)
      throw new UserError("--bin-arg and --image-packages go with --bin PATH (your own program).");
    return getTarget(args.target);
  }
  if (args.target !== "raft" && args.target !== "bin")
    throw new UserError(`Give either --bin or --target, not both (--target ${args.target}).`);
  return binTarget({
    path: args.bin,
    args: (args["bin-arg"] ?? []).map(String),
    imagePackages: packages,
  });
}
