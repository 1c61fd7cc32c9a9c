// `faultline compare`: the same seeds and fault schedule against several targets, variants or
// --bin programs, each run exactly as `faultline run` runs it (runTest), then one table on the
// console and one page (compare.html, with compare.json) in store/compare/<time>/. Or
// `faultline compare DIR DIR ...`: the same table of runs already stored. Exits 0 once the
// comparison is written, whatever the verdicts; 3 if a run failed inside Faultline; 4 bad
// input; 5 environment not ready; 6 interrupted (the comparison of the runs done is written).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED_RUN_OPTIONS } from "./run-options.ts";
import type { CommandModule } from "yargs";
import { EXIT, UserError, type ExitCode } from "../../core/errors.ts";
import { binTarget } from "../../targets/bin/index.ts";
import { getTarget } from "../../targets/index.ts";
import { createCluster } from "../runtime/index.ts";
import { getWorkload, workloadName } from "../workloads/index.ts";
import { FAULT_KINDS, parseFaultKinds, type FaultKind } from "../../nemesis/schedule.ts";
import { checkCompatible, runTest, type RunOutcome } from "../run/orchestrate.ts";
import { RUN_DEFAULTS, validateSpec, type RunSpec } from "../run/spec.ts";
import { timestamp, writeJson } from "../store.ts";
import { DEFAULT_NEMESIS, defaultWorkload } from "./run.ts";
import {
  binLabels,
  checkDistinct,
  parseSeeds,
  parseTargetSpecs,
  shared,
  type Contender,
} from "../compare/contenders.ts";
import { measureRunDir, storedComparison, type MeasuredRun } from "../compare/stored.ts";
import { comparisonJson, consoleTable, rowOf, type Comparison } from "../compare/table.ts";
import { renderComparison } from "../compare/html.ts";

interface CompareArgs {
  runs?: string[];
  target?: string[];
  bin?: string[];
  "bin-arg"?: (string | number)[];
  "image-packages"?: string;
  seed?: number;
  seeds?: string;
  nodes?: number;
  workload?: string;
  nemesis?: string;
  "nemesis-interval": number;
  byzantine?: number;
  "time-limit": number;
  concurrency: number;
  rate: number;
  "timeout-ms": number;
  settle: number;
  store: string;
  "check-time-limit": number;
  "live-check": boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: "compare [runs..]",
  describe:
    "Run several targets, variants or --bin programs on the same seeds and faults (or take stored runs) and compare them in one table and one page",
  builder: (y) =>
    y
      .positional("runs", {
        type: "string",
        array: true,
        describe: "Stored run folders to compare instead of running anything",
      })
      .option("target", {
        type: "string",
        array: true,
        describe: "A contender: TARGET or TARGET:VARIANT (repeat, or comma-separate)",
      })
      .option("bin", {
        type: "string",
        array: true,
        describe: "A contender: your own node program (repeat for several)",
      })
      .option("bin-arg", {
        type: "array",
        string: true,
        describe: "An argument for every --bin program (repeat for several)",
      })
      .option("image-packages", {
        type: "string",
        describe: "Debian packages the --bin programs need in the node image, comma-separated",
      })
      .option("seed", {
        type: "number",
        describe: "The seed of every run (default: random, printed)",
      })
      .option("seeds", {
        type: "string",
        describe: "Several seeds: 1-3, or 1,5,9; every contender runs on each",
      })
      .option("nodes", {
        type: "number",
        describe: "Number of nodes (default: the contenders' own, when they agree)",
      })
      .option("workload", {
        type: "string",
        describe: "Client workload (default: the contenders' first, when they agree)",
      })
      .option("nemesis", {
        type: "string",
        describe: `Faults, comma-separated: ${FAULT_KINDS.join(",")} or none (default: the contenders', when they agree)`,
      })
      .options(SHARED_RUN_OPTIONS)
      .option("time-limit", {
        type: "number",
        default: RUN_DEFAULTS.timeLimitSeconds,
        describe: "Seconds of client ops under faults, per run",
      })
      .option("concurrency", {
        type: "number",
        default: RUN_DEFAULTS.concurrency,
        describe: "Logical client processes",
      })
      .option("store", {
        type: "string",
        default: RUN_DEFAULTS.store,
        describe: "Root folder of stored runs; the comparison goes to <store>/compare/<time>/",
      })
      .option("live-check", {
        type: "boolean",
        default: RUN_DEFAULTS.liveCheck,
        describe: "Check each run's history while it goes on (--no-live-check turns it off)",
      })
      .example(
        "$0 compare --target raft --target raft:local-read --time-limit 20 --seed 1",
        "Raft against its stale-read variant on the same ops and faults",
      )
      .example(
        "$0 compare --target raft --bin my/node.py --nodes 3 --seeds 1-3",
        "Raft against your program, three seeds each",
      )
      .example("$0 compare store/raft/latest store/bin/latest", "Compare two stored runs"),
  handler: async (args) => {
    process.exitCode = await compareFromArgs(args);
  },
};

async function compareFromArgs(args: CompareArgs): Promise<ExitCode> {
  const dirs = args.runs ?? [];
  const contenderFlags = (args.target ?? []).length + (args.bin ?? []).length;
  if (dirs.length > 0 && contenderFlags > 0)
    throw new UserError(
      "Give either stored run folders or contenders (--target, --bin) to run, not both.",
    );
  if (dirs.length > 0) return compareStored(dirs, args);
  if (contenderFlags === 0)
    throw new UserError(
      "Name what to compare: contenders to run (--target raft --target raft:local-read, --bin prog.py) or stored run folders.",
    );
  return compareRuns(args);
}

/** Compare stored runs: one row per folder, nothing run. */
async function compareStored(dirs: string[], args: CompareArgs): Promise<ExitCode> {
  const { comparison, faultOrder } = await storedComparison(dirs);
  writeComparison(comparison, args.store, faultOrder);
  return EXIT.valid;
}

/** What a comparison runs: every contender's spec (seed aside), and the seeds. */
interface ComparisonPlan {
  contenders: Contender[];
  specs: RunSpec[];
  seeds: number[];
}

/** Run every contender on every seed, then compare. */
async function compareRuns(args: CompareArgs): Promise<ExitCode> {
  const plan = await planComparison(args);
  const done = await runAll(plan);
  const [spec] = plan.specs;
  const comparison: Comparison = {
    createdAt: new Date().toISOString(),
    mode: "run",
    parameters: {
      contenders: plan.contenders.map((c) => c.label),
      seeds: plan.seeds,
      nodes: spec!.nodes,
      workload: spec!.workload,
      nemesis: spec!.nemesis,
      nemesisIntervalSeconds: spec!.nemesisIntervalSeconds,
      timeLimitSeconds: spec!.timeLimitSeconds,
      concurrency: spec!.concurrency,
      rate: spec!.rate,
      timeoutMs: spec!.timeoutMs,
    },
    rows: plan.contenders
      .filter((c) => done.measured.get(c.label)!.length > 0)
      .map((c) => rowOf(c.label, done.measured.get(c.label)!)),
    notes:
      done.runs < plan.seeds.length * plan.contenders.length
        ? [
            `Stopped after ${done.runs} of ${plan.seeds.length * plan.contenders.length} runs (${done.interrupted ? "interrupted" : "a run could not go on"}): the table holds the runs done.`,
          ]
        : [],
  };
  // The runs done are worth their table even when a later one could not start.
  if (comparison.rows.length > 0) writeComparison(comparison, args.store, spec!.nemesis);
  if (done.failure !== undefined) throw done.failure;
  if (done.interrupted) return EXIT.interrupted;
  return done.harnessError ? EXIT.harnessError : EXIT.valid;
}

/** Every name, path and parameter checked, before the first cluster starts. */
async function planComparison(args: CompareArgs): Promise<ComparisonPlan> {
  const contenders = await contendersFrom(args);
  checkDistinct(contenders);
  if (contenders.length < 2)
    throw new UserError(
      `Name at least two contenders (only ${contenders[0]!.label}); e.g. --target raft --target raft:local-read.`,
    );
  if (args.seed !== undefined && args.seeds !== undefined)
    throw new UserError("Give --seed or --seeds, not both.");
  const seeds =
    args.seeds !== undefined
      ? parseSeeds(args.seeds)
      : [args.seed ?? Math.floor(Math.random() * 2 ** 31)];
  const nodes = shared(
    args.nodes,
    contenders,
    (c) => c.target.defaultNodes,
    "--nodes N",
    "every contender meets the same fault schedule",
  );
  const workload = workloadName(
    shared(
      args.workload,
      contenders,
      (c) => defaultWorkload(c.target),
      "--workload",
      "every contender serves the same ops",
    ),
  );
  const nemesis: FaultKind[] = parseFaultKinds(
    shared(
      args.nemesis,
      contenders,
      (c) => (c.target.defaultNemesis ?? [DEFAULT_NEMESIS]).join(","),
      "--nemesis",
      "every contender meets the same faults",
    ),
  );
  const specs = contenders.map((c) => {
    const spec: RunSpec = {
      target: c.target.name,
      ...(c.variant ? { variant: c.variant } : {}),
      nodes,
      workload,
      nemesis,
      ...(args.byzantine !== undefined ? { byzantine: args.byzantine } : {}),
      nemesisIntervalSeconds: args["nemesis-interval"],
      timeLimitSeconds: args["time-limit"],
      concurrency: args.concurrency,
      seed: seeds[0]!,
      rate: args.rate,
      timeoutMs: args["timeout-ms"],
      settleSeconds: args.settle,
      store: args.store,
      checkTimeLimitMs: args["check-time-limit"] * 1000,
      checkMemoryLimitMb: RUN_DEFAULTS.checkMemoryLimitMb,
      liveCheck: args["live-check"],
      // A comparison measures whole runs: a violation does not cut one short.
      stopOnViolation: false,
      ...("program" in c.target ? { program: c.target.program as Record<string, unknown> } : {}),
    };
    validateSpec(spec);
    checkCompatible(spec, c.target, workload);
    return spec;
  });
  // A target that cannot run this many nodes (python-register: 1) says so now.
  for (const c of contenders) await c.target.clusterSpec({ nodes, variant: c.variant });
  return { contenders, specs, seeds };
}

interface RunsDone {
  /** Each contender's measured runs, by label. */
  measured: Map<string, MeasuredRun[]>;
  runs: number;
  interrupted: boolean;
  harnessError: boolean;
  /** What stopped the runs (no Docker engine, a program that cannot start), if anything. */
  failure?: unknown;
}

/** Every contender on every seed, seed by seed (an interrupted comparison still has every
 *  contender on the first seeds), one run at a time: runs side by side would share the
 *  machine's cores and skew each other's latency. */
async function runAll(plan: ComparisonPlan): Promise<RunsDone> {
  const interrupt = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
    console.error(
      `\nfaultline: ${sig}: stopping this run and the comparison (again to quit at once)...`,
    );
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const done: RunsDone = {
    measured: new Map(plan.contenders.map((c) => [c.label, []])),
    runs: 0,
    interrupted: false,
    harnessError: false,
  };
  const total = plan.seeds.length * plan.contenders.length;
  try {
    for (const seed of plan.seeds) {
      for (const [i, c] of plan.contenders.entries()) {
        if (interrupt.signal.aborted) break;
        const spec = { ...plan.specs[i]!, seed };
        console.error(
          `faultline: compare run ${done.runs + 1}/${total}: ${c.label}, ${spec.nodes} nodes, ${spec.workload}, nemesis ${spec.nemesis.join(",") || "none"}, ${spec.timeLimitSeconds}s, seed ${seed}`,
        );
        const outcome = await runTest(spec, {
          getTarget: (name) => (name === c.target.name ? c.target : getTarget(name)),
          getWorkload,
          createCluster,
          signal: interrupt.signal,
        });
        done.runs++;
        console.error(
          `faultline: ${c.label} seed ${seed}: ${verdictWord(outcome)}; stored in ${outcome.dir}`,
        );
        done.measured.get(c.label)!.push(await measureRunDir(outcome.dir));
        if (outcome.exitCode === EXIT.harnessError) done.harnessError = true;
      }
    }
  } catch (err) {
    done.failure = err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  done.interrupted = interrupt.signal.aborted;
  return done;
}

function verdictWord(outcome: RunOutcome): string {
  if (outcome.incomplete) return "INCOMPLETE";
  return outcome.verdict === true ? "VALID" : outcome.verdict === false ? "INVALID" : "UNKNOWN";
}

async function contendersFrom(args: CompareArgs): Promise<Contender[]> {
  const contenders: Contender[] = parseTargetSpecs(args.target ?? []).map(
    ({ target, variant }) => ({
      label: variant ? `${target}:${variant}` : target,
      target: getTarget(target),
      ...(variant ? { variant } : {}),
    }),
  );
  const bins = args.bin ?? [];
  const packages = (args["image-packages"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (bins.length === 0 && (args["bin-arg"] || packages.length > 0))
    throw new UserError("--bin-arg and --image-packages go with --bin PATH (your own program).");
  const labels = binLabels(bins);
  for (const [i, path] of bins.entries()) {
    const target = await binTarget({
      path,
      args: (args["bin-arg"] ?? []).map(String),
      imagePackages: packages,
    });
    contenders.push({ label: labels[i]!, target });
  }
  return contenders;
}

/** Print the table and write compare.html and compare.json under <store>/compare/<time>/. */
function writeComparison(
  comparison: Comparison,
  store: string,
  faultOrder: readonly string[],
): void {
  const dir = join(store, "compare", timestamp());
  mkdirSync(dir, { recursive: true });
  writeJson(dir, "compare.json", comparisonJson(comparison));
  writeFileSync(join(dir, "compare.html"), renderComparison(comparison, dir, faultOrder));
  for (const line of consoleTable(comparison, faultOrder)) console.log(line);
  for (const note of comparison.notes) console.log(`Note: ${note}`);
  console.log(`Comparison: ${join(dir, "compare.html")} (and compare.json)`);
}
