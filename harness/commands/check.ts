// `faultline check <history-or-run-dir>`: check a stored or imported history offline with the
// checkers its run named (test.json) or the ones given by flags. Exit 0 valid, 1 invalid,
// 2 unknown, 4 bad input.
import fs from "node:fs";
import path from "node:path";
import type { CommandModule } from "yargs";
import { UserError } from "../../core/errors.ts";
import { loadHistory } from "../../histories/load.ts";
import { EdnReader } from "../../histories/edn.ts";
import { CHECKERS, getChecker, type CheckerSpec } from "../../checkers/index.ts";
import { MODELS } from "../../checkers/linearizable/index.ts";
import { analyze } from "../run/analyze.ts";
import {
  buildArtifacts,
  stoppedLine,
  writeArtifacts,
  writeOutFile,
  type ArtifactInput,
} from "../run/artifacts.ts";
import { junitDocument } from "../report/junit.ts";
import { recheckCommand } from "../report/replay.ts";
import { exitCodeOf } from "../run/exit-code.ts";
import { STORE_FILES } from "../store.ts";

interface CheckArgs {
  history: string;
  checker?: string;
  model?: string;
  init?: string;
  "nil-read"?: string;
  "time-limit-ms"?: number;
  "memory-limit-mb"?: number;
  "write-results"?: boolean;
  report?: string;
  junit?: string;
  json?: boolean;
}

/** `--init` as JSON (`0`, `null`, `{"x":0}`), else EDN (`nil`, `{:x 0}`), else a plain string. */
export function parseInit(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      const form = new EdnReader(text).next();
      if (form !== undefined) return form.value;
    } catch {
      // not EDN either: a bare string
    }
    return text;
  }
}

interface RunDir {
  historyPath: string;
  test: Record<string, unknown>;
  /** The checkers the run named, if its test.json says. */
  specs?: CheckerSpec[];
}

/** The history file, test.json and checker specs of a stored run directory. */
function readRunDir(dir: string): RunDir {
  const historyPath = path.join(dir, STORE_FILES.history);
  if (!fs.existsSync(historyPath)) {
    throw new UserError(
      `${dir} is a directory without a history.jsonl; pass a run directory of the store or a history file.`,
    );
  }
  const testPath = path.join(dir, STORE_FILES.test);
  if (!fs.existsSync(testPath)) return { historyPath, test: {} };
  let test: Record<string, unknown>;
  try {
    test = JSON.parse(fs.readFileSync(testPath, "utf8")) as Record<string, unknown>;
  } catch {
    throw new UserError(
      `${testPath} is not valid JSON; fix it or pass --checker/--model explicitly with the history file.`,
    );
  }
  return { historyPath, test, specs: specsOfTest(test, testPath) };
}

/** test.json's `checkers` list; a run stored before checkers were plug-ins has `checker`
 *  (the linearizable checker's options) instead. */
function specsOfTest(test: Record<string, unknown>, file: string): CheckerSpec[] | undefined {
  if (Array.isArray(test.checkers)) {
    for (const s of test.checkers as unknown[]) {
      if (!s || typeof (s as CheckerSpec).checker !== "string")
        throw new UserError(
          `${file} has a malformed "checkers" list: each entry needs a "checker" name.`,
        );
    }
    return test.checkers as CheckerSpec[];
  }
  if (test.checker && typeof test.checker === "object")
    return [{ checker: "linearizable", options: test.checker as Record<string, unknown> }];
  return undefined;
}

/** The run's specs adjusted by the command line: --checker replaces the list, --model and
 *  the other linearizability flags set the linearizable checker's options. */
function specsFrom(args: CheckArgs, stored: CheckerSpec[] | undefined): CheckerSpec[] {
  let specs: CheckerSpec[] | undefined = stored;
  if (args.checker !== undefined) {
    specs = args.checker
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((name) => {
        getChecker(name); // an unknown name fails here, with the known ones listed
        return stored?.find((s) => s.checker === name) ?? { checker: name };
      });
  }
  const linearizableFlags = {
    ...(args.model !== undefined ? { model: args.model } : {}),
    ...(args.init !== undefined ? { init: parseInit(args.init) } : {}),
    ...(args["nil-read"] !== undefined ? { nilRead: args["nil-read"] } : {}),
  };
  if (Object.keys(linearizableFlags).length > 0) {
    specs ??= [{ checker: "linearizable" }];
    if (!specs.some((s) => s.checker === "linearizable"))
      specs = [...specs, { checker: "linearizable" }];
    specs = specs.map((s) =>
      s.checker === "linearizable" ? { ...s, options: { ...s.options, ...linearizableFlags } } : s,
    );
  }
  if (!specs || specs.length === 0) {
    throw new UserError(
      `Name the checker with --checker (one of: ${Object.keys(CHECKERS).sort().join(", ")}), or the model to check linearizability against with --model (one of: ${Object.keys(MODELS).join(", ")}).`,
    );
  }
  const model = specs.find((s) => s.checker === "linearizable")?.options?.model;
  if (specs.some((s) => s.checker === "linearizable")) {
    if (model === undefined)
      throw new UserError(
        `Name the model to check against with --model (one of: ${Object.keys(MODELS).join(", ")}).`,
      );
    if (typeof model !== "string" || !(model in MODELS))
      throw new UserError(
        `Unknown model "${String(model)}"; choose one of: ${Object.keys(MODELS).join(", ")}.`,
      );
  }
  return specs;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check <history>",
  describe:
    "Check a history (our JSONL, Jepsen EDN or log, or a run directory) with the run's checkers or the ones named",
  builder: (y) =>
    y
      .positional("history", {
        type: "string",
        demandOption: true,
        describe:
          "history.jsonl, history.edn, a Jepsen log, a stored run directory, or - (standard input)",
      })
      .option("checker", {
        type: "string",
        describe: `Checkers, comma-separated: ${Object.keys(CHECKERS).sort().join(", ")} (default: the run's test.json)`,
      })
      .option("model", {
        type: "string",
        describe: `Model of the linearizable checker: ${Object.keys(MODELS).join(", ")}`,
      })
      .option("init", {
        type: "string",
        describe: "Initial value, JSON or EDN (e.g. 0, nil, '{\"x\":0}')",
      })
      .option("nil-read", {
        type: "string",
        choices: ["unknown", "absent"],
        describe: "What a read of nil means: unknown (Jepsen's convention) or the value is absent",
      })
      .option("time-limit-ms", {
        type: "number",
        describe: "Give up (verdict unknown) after this long",
      })
      .option("memory-limit-mb", {
        type: "number",
        describe: "Give up (unknown) past this much search memory",
      })
      .option("write-results", {
        type: "boolean",
        default: false,
        describe:
          "Rewrite the run directory's results.json, report.html and junit.xml (all three, from this check)",
      })
      .option("report", {
        type: "string",
        describe: "Write the HTML report of this check to this file (any history, imported too)",
      })
      .option("junit", {
        type: "string",
        describe: "Write the JUnit XML of this check to this file (where CI expects it)",
      })
      .option("json", { type: "boolean", default: false, describe: "Print the results as JSON" })
      .example("$0 check store/latest", "Re-check the last run with the checkers it named")
      .example(
        "$0 check history.edn --model cas-register --init 0 --report out.html --junit junit.xml",
        "Check an imported history, with a report and JUnit XML",
      )
      .example(
        "$0 check history.edn --model cas-register --init 0",
        "Check a Jepsen history for linearizability",
      ),
  handler: async (args) => {
    let historyPath = args.history;
    if (!fs.existsSync(historyPath)) {
      throw new UserError(
        `Cannot read history ${historyPath}: it does not exist; pass a history file (JSONL, Jepsen EDN or log) or a stored run directory.`,
      );
    }
    const isDir = fs.statSync(historyPath).isDirectory();
    let run: RunDir | undefined;
    if (isDir) {
      run = readRunDir(args.history);
      historyPath = run.historyPath;
    } else if (args["write-results"]) {
      throw new UserError(
        "--write-results needs a run directory (it writes <dir>/results.json), not a history file.",
      );
    }
    const specs = specsFrom(args, run?.specs);
    for (const [flag, v] of [
      ["--time-limit-ms", args["time-limit-ms"]],
      ["--memory-limit-mb", args["memory-limit-mb"]],
    ] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw new UserError(`${flag} must be a positive number.`);
      }
    }
    const budget = {
      timeLimitMs: args["time-limit-ms"] ?? numberOr(run?.test.checkTimeLimitMs),
      memoryLimitMb: args["memory-limit-mb"] ?? numberOr(run?.test.checkMemoryLimitMb),
    };

    const history = await loadHistory(historyPath);
    const started = performance.now();
    const analysis = await analyze(history, specs, budget);
    const elapsedMs = Math.round(performance.now() - started);
    if (args.json) {
      console.log(JSON.stringify({ valid: analysis.verdict, results: analysis.results }, null, 2));
    } else {
      // One checker: its own lines, as they are. Several: one block per checker.
      const lines =
        specs.length === 1
          ? getChecker(specs[0]!.checker).explain(Object.values(analysis.results)[0]!)
          : analysis.explanation;
      for (const line of lines) console.log(line);
      const clientOps = history.filter((o) => o.process !== "nemesis" && o.type === "invoke");
      console.log(
        `(${clientOps.length} client ops; ${specs.map(describeSpec).join(", ")}; ${elapsedMs} ms)`,
      );
    }
    const artifacts = artifactInput(args, run, specs, history, analysis);
    if (run && args["write-results"]) {
      writeArtifacts({ ...artifacts, dir: args.history });
      if (!args.json)
        console.log(`Wrote results.json, report.html and junit.xml in ${args.history}.`);
    }
    if (args.report !== undefined || args.junit !== undefined) {
      const built = buildArtifacts(artifacts);
      if (args.report !== undefined) writeOutFile(args.report, built.report);
      if (args.junit !== undefined) writeOutFile(args.junit, junitDocument([built.junit]));
      if (!args.json)
        console.log(
          `Wrote ${[args.report, args.junit].filter((p) => p !== undefined).join(" and ")}.`,
        );
    }
    process.exitCode = exitCodeOf(analysis.verdict);
  },
};

/** What the report and JUnit of this check are made of. A run directory's: its test.json,
 *  and what its results.json recorded of the run itself (duration, cluster, interruption,
 *  live-check stop), so a rewrite keeps those and only the verdicts change. An imported
 *  history's: the file and the checkers, and the command that repeats the check. */
function artifactInput(
  args: CheckArgs,
  run: RunDir | undefined,
  specs: CheckerSpec[],
  history: Awaited<ReturnType<typeof loadHistory>>,
  analysis: Awaited<ReturnType<typeof analyze>>,
): ArtifactInput {
  const checkedAt = new Date();
  if (run) {
    const before = readPreviousResults(args.history);
    const kept = Object.fromEntries(
      ["cluster", "liveCheck", "stoppedOnViolation", "messages"]
        .filter((k) => before[k] !== undefined)
        .map((k) => [k, before[k]]),
    );
    const stopped = before.stoppedOnViolation as Parameters<typeof stoppedLine>[0] | undefined;
    if (stopped && Array.isArray(stopped.violated) && typeof stopped.atSeconds === "number")
      analysis.explanation.unshift(stoppedLine(stopped));
    return {
      dir: args.history,
      // The checkers this check used (the run's, unless flags changed them).
      test: { ...run.test, checkers: specs },
      history,
      analysis,
      incomplete: before.incomplete === true,
      ...(typeof before.durationSeconds === "number"
        ? { durationSeconds: before.durationSeconds }
        : {}),
      extra: { ...kept, checkedAt: checkedAt.toISOString() },
    };
  }
  const flags = {
    checker: args.checker,
    model: args.model,
    init: args.init,
    "nil-read": args["nil-read"],
    "time-limit-ms": args["time-limit-ms"],
    "memory-limit-mb": args["memory-limit-mb"],
  };
  return {
    test: {
      name: `check of ${path.basename(args.history)}`,
      history: path.resolve(args.history),
      checkers: specs,
      checkedAt: checkedAt.toISOString(),
    },
    history,
    analysis,
    incomplete: false,
    replay: recheckCommand(args.history, flags),
    timestamp: checkedAt,
  };
}

/** The run directory's results.json as it was, or nothing when there is none (yet). */
function readPreviousResults(dir: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, STORE_FILES.results), "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function describeSpec(spec: CheckerSpec): string {
  const model = spec.options?.model;
  return `${spec.as ?? spec.checker}${typeof model === "string" ? ` (model ${model})` : ""}`;
}

function numberOr(v: unknown): number | undefined {
  return typeof v === "number" && v > 0 ? v : undefined;
}
