// `faultline shrink <run dir>`: from a failing stored run, a smaller run that still fails:
// fewer faults (ddmin over the recorded schedule), a time limit cut after the last fault,
// fewer clients and keys (the search: harness/shrink/search.ts). Every candidate is a real
// run with --stop-on-violation, replaying its faults on the nodes they hit, tried up to
// --tries times. The smallest failing run stays in the store (test.json `shrunkFrom`), the
// other candidates' folders are removed (--keep-candidates keeps them). Exits 1 once it has
// a failing run to show (the shrunk one, or the original when nothing smaller failed), 6 when
// interrupted (what it found so far is kept and printed), 3 when every candidate run failed
// inside Faultline, 4 for bad input (a run that did not fail), 5 without Docker.
import { readlinkSync, rmSync, rmdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CommandModule } from "yargs";
import { EXIT, UserError, type ExitCode } from "../../core/errors.ts";
import { getTarget } from "../../targets/index.ts";
import { replayEvents, type RecordedFault } from "../../nemesis/recorded.ts";
import { workloadName, workloads } from "../workloads/index.ts";
import { RUN_DEFAULTS } from "../run/spec.ts";
import { linkLatest } from "../store.ts";
import { loadStoredRun, nameOfStored, specOfStored, targetOfStored } from "../replay/stored.ts";
import { failsLike, verdictsOf } from "../replay/verdicts.ts";
import { shrink, type Candidate } from "../shrink/search.ts";
import { cutTimeLimit, describeCandidate, scheduleLines } from "../shrink/candidate.ts";
import { withInterrupt } from "./interrupt.ts";
import { runAgain } from "./replay.ts";

interface ShrinkArgs {
  run: string;
  tries: number;
  budget: number;
  margin: number;
  bin?: string;
  store: string;
  "keep-candidates": boolean;
}

export const SHRINK_DEFAULTS = { tries: 2, budget: 30, marginSeconds: 5 } as const;

export const shrinkCommand: CommandModule<object, ShrinkArgs> = {
  command: "shrink <run>",
  describe:
    "Find a smaller run that still fails: fewer faults, a shorter time limit, fewer clients and keys; store it and say how to replay it",
  builder: (y) =>
    y
      .positional("run", {
        type: "string",
        demandOption: true,
        describe: "A stored run folder a checker found invalid",
      })
      .option("tries", {
        type: "number",
        default: SHRINK_DEFAULTS.tries,
        describe: "Runs of a candidate before it counts as passing (runs are not deterministic)",
      })
      .option("budget", {
        type: "number",
        default: SHRINK_DEFAULTS.budget,
        describe: "At most this many runs in all; then the smallest failing run so far is kept",
      })
      .option("margin", {
        type: "number",
        default: SHRINK_DEFAULTS.marginSeconds,
        describe: "Seconds a candidate runs on after its last fault is healed",
      })
      .option("bin", {
        type: "string",
        describe: "Where the run's --bin program is now (the same program: same sha256)",
      })
      .option("store", {
        type: "string",
        default: RUN_DEFAULTS.store,
        describe: "Root folder where the candidates and the shrunk run are stored",
      })
      .option("keep-candidates", {
        type: "boolean",
        default: false,
        describe: "Keep every candidate's run folder, not only the smallest failing one",
      })
      .example("$0 shrink store/latest", "Shrink the last run (it must have failed)")
      .example(
        "$0 shrink store/raft/latest --tries 3 --budget 20",
        "Three tries per candidate, at most 20 runs",
      ),
  handler: async (args) => {
    process.exitCode = await shrinkFromArgs(args);
  },
};

async function shrinkFromArgs(args: ShrinkArgs): Promise<ExitCode> {
  for (const [flag, v] of [
    ["tries", args.tries],
    ["budget", args.budget],
  ] as const)
    if (!Number.isInteger(v) || v < 1)
      throw new UserError(`--${flag} must be a whole number of at least 1, got ${v}.`);
  if (!(args.margin >= 0))
    throw new UserError(`--margin must be a number of seconds of at least 0, got ${args.margin}.`);
  const stored = await loadStoredRun(args.run);
  if (stored.verdict !== false)
    throw new UserError(
      `${stored.dir} did not fail (its verdict is ${stored.verdict === undefined ? "missing" : String(stored.verdict)}); shrink needs a run a checker found invalid.`,
    );
  const target = await targetOfStored(stored, getTarget, args.bin);

  // The faults the run applied (those it never reached, having stopped on the violation, had
  // no part in it), and those that started before it was caught.
  const lastOpMs = (stored.history.at(-1)?.time ?? 0) / 1e6;
  const applied = stored.faults.filter((f) => f.recorded || f.startMs <= lastOpMs);
  const caught = stored.caughtAtMs;
  const workload = workloadName(String(stored.test.workload ?? RUN_DEFAULTS.workload));
  const keys = typeof stored.test.keys === "number" ? stored.test.keys : workloads[workload]?.keys;
  const original: Candidate<RecordedFault> = {
    faults: applied,
    timeLimitSeconds: Number(stored.test.timeLimitSeconds ?? RUN_DEFAULTS.timeLimitSeconds),
    concurrency: Number(stored.test.concurrency ?? RUN_DEFAULTS.concurrency),
    ...(keys !== undefined ? { keys } : {}),
  };
  console.error(
    `faultline: shrinking ${stored.dir} (${nameOfStored(stored)}): ${describeCandidate(original)}${caught !== undefined ? `, caught at ${(caught / 1000).toFixed(1)} s` : ""}; up to ${args.tries} tries a candidate, at most ${args.budget} runs`,
  );

  const latestBefore = latestLinks(args.store, target.name);
  const runDirs: string[] = [];
  const failingDir = new Map<Candidate<RecordedFault>, string>();
  let harnessErrors = 0;

  return withInterrupt(async (interrupt) => {
    const result = await shrink<RecordedFault>({
      original,
      tries: args.tries,
      budget: args.budget,
      signal: interrupt.signal,
      timeLimitFor: (faults) => cutTimeLimit(faults, args.margin),
      ...(caught !== undefined
        ? { beforeViolation: applied.filter((f) => f.startMs < caught) }
        : {}),
      run: async (candidate) => {
        const spec = specOfStored(stored, {
          schedule: replayEvents(candidate.faults),
          timeLimitSeconds: candidate.timeLimitSeconds,
          concurrency: candidate.concurrency,
          ...(candidate.keys !== undefined ? { keys: candidate.keys } : {}),
          stopOnViolation: true,
          liveCheck: true,
          shrunkFrom: stored.dir,
          store: args.store,
        });
        const outcome = await runAgain(spec, target, interrupt);
        runDirs.push(outcome.dir);
        if (outcome.exitCode === EXIT.harnessError) harnessErrors++;
        const failed =
          outcome.exitCode === EXIT.invalid &&
          failsLike(stored.checkers, verdictsOf(outcome.results));
        if (failed && !failingDir.has(candidate)) failingDir.set(candidate, outcome.dir);
        console.error(
          `faultline:   run ${runDirs.length}: ${failed ? "fails" : "passes"} (${outcome.dir})`,
        );
        return failed;
      },
      onTrial: (t) =>
        console.error(
          `faultline: ${t.step}: ${describeCandidate(t.candidate)}: ${t.failed ? "still fails, kept" : `passed ${t.runs} run${t.runs === 1 ? "" : "s"}, dropped`}`,
        ),
    });

    const best = result.best;
    const bestDir = best === original ? undefined : failingDir.get(best);
    // Only the smallest failing run stays, and `latest` points at it (or where it was).
    if (!args["keep-candidates"])
      for (const dir of runDirs) if (dir !== bestDir) rmSync(dir, { recursive: true, force: true });
    if (bestDir) linkLatest(args.store, bestDir);
    else restoreLatest(latestBefore);

    console.log(
      `Shrunk ${describeCandidate(original)} to ${describeCandidate(best)} in ${result.runs} run${result.runs === 1 ? "" : "s"}${result.cutShort ? (interrupt.signal.aborted ? " (interrupted)" : ` (the budget of ${args.budget} runs ran out)`) : ""}.`,
    );
    console.log("Schedule:");
    for (const line of scheduleLines(best)) console.log(`  ${line}`);
    if (bestDir) {
      console.log(`Stored in ${bestDir}`);
      console.log(`Replay it: faultline replay ${bestDir} --test-count 3`);
    } else {
      console.log(`No smaller run failed; the smallest failing run is still ${stored.dir}.`);
      console.log(`Replay it: faultline replay ${stored.dir} --test-count 3`);
    }
    if (interrupt.signal.aborted) return EXIT.interrupted;
    if (!bestDir && harnessErrors > 0 && harnessErrors === runDirs.length) return EXIT.harnessError;
    return EXIT.invalid;
  });
}

/** Where store/latest and store/<target>/latest point now (undefined: no such link). */
function latestLinks(store: string, targetName: string): Map<string, string | undefined> {
  const paths = [join(store, "latest"), join(store, targetName, "latest")];
  return new Map(paths.map((p) => [p, readLink(p)]));
}

/** Put the `latest` links back as they were before the candidates ran (all removed now). */
function restoreLatest(before: Map<string, string | undefined>): void {
  for (const [path, to] of before) {
    rmSync(path, { force: true });
    if (to !== undefined) symlinkSync(to, path);
    else
      try {
        rmdirSync(dirname(path)); // a target folder only the candidates had used
      } catch {
        // it holds other runs, or is the store itself
      }
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
