// `faultline replay <run dir>`: the same target, variant, program (by hash), workload, seed
// and faults as a stored run, the faults applied at the same times to the nodes they hit
// then; --test-count times. Each replay is stored as a run of its own (test.json `replayOf`).
// Says how many replays came to the stored verdict, checker by checker, and exits as `run`
// does: the worst verdict of the replays (0 all valid, 1 one invalid, 2 unknown, 3 harness
// error, 4 bad input, 5 environment, 6 interrupted).
import type { CommandModule } from "yargs";
import { EXIT, UserError, type ExitCode } from "../../core/errors.ts";
import { getTarget } from "../../targets/index.ts";
import type { Target } from "../../targets/types.ts";
import { createCluster } from "../runtime/index.ts";
import { getWorkload } from "../workloads/index.ts";
import { describeSchedule, replayEvents } from "../../nemesis/recorded.ts";
import { runTest, type RunOutcome } from "../run/orchestrate.ts";
import { RUN_DEFAULTS, type RunSpec } from "../run/spec.ts";
import { writeOutFile } from "../run/artifacts.ts";
import { junitDocument, type JunitSuite } from "../report/junit.ts";
import { summaryLines } from "../report/summary.ts";
import { projectVersion } from "../store.ts";
import {
  loadStoredRun,
  nameOfStored,
  specOfStored,
  targetOfStored,
  type StoredRun,
} from "../replay/stored.ts";
import {
  describeVerdicts,
  reproduces,
  tally,
  verdictWord,
  verdictsOf,
  type Verdicts,
} from "../replay/verdicts.ts";
import { withInterrupt, type Interruptible } from "./interrupt.ts";

interface ReplayArgs {
  run: string;
  "test-count": number;
  bin?: string;
  store: string;
  "stop-on-violation"?: boolean;
  junit?: string;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: "replay <run>",
  describe:
    "Run a stored run again: same target, program, workload, seed, and its faults on the nodes they hit; say how many replays reproduce its verdict",
  builder: (y) =>
    y
      .positional("run", {
        type: "string",
        demandOption: true,
        describe: "A stored run folder (store/latest, store/raft/<time>)",
      })
      .option("test-count", {
        type: "number",
        default: 1,
        describe: "Replay this many times (all of them, whatever their verdicts)",
      })
      .option("bin", {
        type: "string",
        describe: "Where the run's --bin program is now (it must be the same program: same sha256)",
      })
      .option("store", {
        type: "string",
        default: RUN_DEFAULTS.store,
        describe: "Root folder where the replays are stored",
      })
      .option("stop-on-violation", {
        type: "boolean",
        describe:
          "End each replay at the live check's first violation (default: as the stored run did)",
      })
      .option("junit", {
        type: "string",
        describe: "Also write the replays' JUnit XML here (one test suite per replay)",
      })
      .example("$0 replay store/latest --test-count 3", "Three replays of the last run")
      .example(
        "$0 replay store/bin/20261121T052210.010Z --bin ./node.py",
        "Replay a run of your own program, found at a new path",
      ),
  handler: async (args) => {
    process.exitCode = await replayFromArgs(args);
  },
};

async function replayFromArgs(args: ReplayArgs): Promise<ExitCode> {
  if (!Number.isInteger(args["test-count"]) || args["test-count"] < 1)
    throw new UserError(
      `--test-count must be a whole number of at least 1, got ${args["test-count"]}.`,
    );
  const stored = await loadStoredRun(args.run);
  const target = await targetOfStored(stored, getTarget, args.bin);
  const schedule = replayEvents(stored.faults);
  const storedVerdicts: Verdicts = stored.checkers;
  for (const line of introLines(stored)) console.error(`faultline: ${line}`);

  return withInterrupt(async (interrupt) => {
    const replays: (Verdicts | undefined)[] = [];
    const suites: JunitSuite[] = [];
    let worst: ExitCode = EXIT.valid;
    const n = args["test-count"];
    for (let i = 0; i < n && !interrupt.signal.aborted; i++) {
      const spec = specOfStored(stored, {
        schedule,
        store: args.store,
        replayOf: stored.dir,
        ...(args["stop-on-violation"] !== undefined
          ? { stopOnViolation: args["stop-on-violation"] }
          : {}),
      });
      console.error(`faultline: replay ${i + 1}/${n} of ${stored.dir}`);
      const outcome = await runAgain(spec, target, interrupt);
      for (const line of summaryLines(outcome)) console.log(line);
      const got = outcome.exitCode <= EXIT.unknown ? verdictsOf(outcome.results) : undefined;
      replays.push(got);
      console.log(
        `Replay ${i + 1}/${n}: ${reproduces(storedVerdicts, got) ? "reproduced" : "did not reproduce"} the stored verdict (${got ? describeVerdicts(got) : "no verdict"})`,
      );
      suites.push(outcome.junit);
      if (args.junit !== undefined) writeOutFile(args.junit, junitDocument(suites));
      worst = Math.max(worst, outcome.exitCode) as ExitCode;
    }
    console.log(tally(storedVerdicts, replays));
    if (args.junit !== undefined && suites.length > 0) console.log(`JUnit: ${args.junit}`);
    return worst;
  });
}

/** One run of `spec` against the stored run's target, as `faultline run` makes it. */
export async function runAgain(
  spec: RunSpec,
  target: Target,
  interrupt: Interruptible,
): Promise<RunOutcome> {
  interrupt.status = { clusterLive: false };
  return runTest(spec, {
    getTarget: (name) => (name === target.name ? target : getTarget(name)),
    getWorkload,
    createCluster,
    signal: interrupt.signal,
    status: interrupt.status,
  });
}

/** What is replayed: the run, its verdict, its faults (pinned or re-aimed), version drift. */
function introLines(stored: StoredRun): string[] {
  const verdict =
    stored.verdict === undefined
      ? "no stored verdict"
      : `stored verdict ${verdictWord(stored.verdict)} (${describeVerdicts(stored.checkers)})`;
  const reAimed = stored.faults.filter((f) => !f.recorded).length;
  const lines = [
    `replaying ${stored.dir} (${nameOfStored(stored)}); ${verdict}; ${stored.faults.length === 0 ? "no faults" : `${stored.faults.length} fault${stored.faults.length === 1 ? "" : "s"}:`}`,
    ...describeSchedule(stored.faults).map((l) => `  ${l}`),
  ];
  if (reAimed > 0)
    lines.push(
      `${reAimed} of them never ran or were stored before Faultline recorded the nodes a fault hit: they are aimed as a run aims them.`,
    );
  const now = projectVersion();
  if (typeof stored.test.version === "string" && stored.test.version !== now)
    lines.push(`the run was made by Faultline ${stored.test.version}; this is ${now}.`);
  return lines;
}
