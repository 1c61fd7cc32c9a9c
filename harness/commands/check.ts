// `faultline check <history-or-run-dir>`: check a stored or imported history for
// linearizability offline. Exit 0 valid, 1 invalid, 2 unknown, 4 bad input.
import fs from "node:fs";
import path from "node:path";
import type { CommandModule } from "yargs";
import { EXIT, UserError } from "../../core/errors.ts";
import { loadHistory } from "../../histories/load.ts";
import { EdnReader } from "../../histories/edn.ts";
import type { CheckResult } from "../../checkers/types.ts";
import {
  MODELS,
  checkLinearizable,
  formatExplanation,
  type LinearizableOptions,
  type LinearizableResult,
  type NilRead,
} from "../../checkers/linearizable/index.ts";

interface CheckArgs {
  history: string;
  model?: string;
  init?: string;
  "nil-read"?: string;
  "time-limit-ms"?: number;
  "memory-limit-mb"?: number;
  "write-results"?: boolean;
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

/** The history file and the checker defaults of a stored run directory (from test.json). */
function readRunDir(dir: string): { historyPath: string; defaults: Record<string, unknown> } {
  const historyPath = path.join(dir, "history.jsonl");
  if (!fs.existsSync(historyPath)) {
    throw new UserError(
      `${dir} is a directory without a history.jsonl; pass a run directory of the store or a history file.`,
    );
  }
  let defaults: Record<string, unknown> = {};
  const testPath = path.join(dir, "test.json");
  if (fs.existsSync(testPath)) {
    try {
      const test = JSON.parse(fs.readFileSync(testPath, "utf8")) as {
        checker?: Record<string, unknown>;
      };
      if (test.checker && typeof test.checker === "object") defaults = test.checker;
    } catch {
      throw new UserError(
        `${testPath} is not valid JSON; fix it or pass --model explicitly with the history file.`,
      );
    }
  }
  return { historyPath, defaults };
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check <history>",
  describe:
    "Check a history (our JSONL, Jepsen EDN or log, or a run directory) for linearizability",
  builder: (y) =>
    y
      .positional("history", {
        type: "string",
        demandOption: true,
        describe: "history.jsonl, history.edn, a Jepsen log, or a stored run directory",
      })
      .option("model", {
        type: "string",
        describe: `Sequential model: ${Object.keys(MODELS).join(", ")} (default: the run's test.json)`,
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
        describe: "Write results.json into the run directory",
      })
      .option("json", { type: "boolean", default: false, describe: "Print the result as JSON" }),
  handler: async (args) => {
    let historyPath = args.history;
    let defaults: Record<string, unknown> = {};
    if (!fs.existsSync(historyPath)) {
      throw new UserError(
        `Cannot read history ${historyPath}: it does not exist; pass a history file (JSONL, Jepsen EDN or log) or a stored run directory.`,
      );
    }
    const isDir = fs.statSync(historyPath).isDirectory();
    if (isDir) ({ historyPath, defaults } = readRunDir(args.history));
    else if (args["write-results"]) {
      throw new UserError(
        "--write-results needs a run directory (it writes <dir>/results.json), not a history file.",
      );
    }

    const model = args.model ?? (typeof defaults.model === "string" ? defaults.model : undefined);
    if (model === undefined) {
      throw new UserError(
        `Name the model to check against with --model (one of: ${Object.keys(MODELS).join(", ")}).`,
      );
    }
    if (!(model in MODELS)) {
      throw new UserError(
        `Unknown model "${model}"; choose one of: ${Object.keys(MODELS).join(", ")}.`,
      );
    }
    for (const [flag, v] of [
      ["--time-limit-ms", args["time-limit-ms"]],
      ["--memory-limit-mb", args["memory-limit-mb"]],
    ] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw new UserError(`${flag} must be a positive number.`);
      }
    }
    const opts: LinearizableOptions = {
      model,
      init: args.init !== undefined ? parseInit(args.init) : defaults.init,
      nilRead: (args["nil-read"] ?? defaults.nilRead) as NilRead | undefined,
      timeLimitMs: args["time-limit-ms"] ?? numberOr(defaults.timeLimitMs),
      memoryLimitMb: args["memory-limit-mb"] ?? numberOr(defaults.memoryLimitMb),
    };

    const history = await loadHistory(historyPath);
    const result = await checkLinearizable(history, opts);
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else {
      for (const line of formatExplanation(result)) console.log(line);
      console.log(
        `(${result.ops} client ops, ${result.partitions} partition(s), model ${result.model}, ${result.elapsedMs} ms)`,
      );
    }
    if (isDir && args["write-results"]) {
      const out = path.join(args.history, "results.json");
      fs.writeFileSync(out, JSON.stringify(mergeResults(out, result), null, 2) + "\n");
      if (!args.json) console.log(`Wrote ${out}.`);
    }
    process.exitCode =
      result.valid === true ? EXIT.valid : result.valid === false ? EXIT.invalid : EXIT.unknown;
  },
};

/** The run's results.json with this check's result in place of its linearizable one. */
function mergeResults(file: string, result: LinearizableResult): Record<string, unknown> {
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    // none yet, or unreadable: start afresh
  }
  const results = {
    ...((previous.results as Record<string, CheckResult>) ?? {}),
    linearizable: result,
  };
  const verdicts = Object.values(results).map((r) => r.valid);
  const valid = verdicts.includes(false)
    ? false
    : verdicts.every((v) => v === true)
      ? true
      : "unknown";
  return { ...previous, valid, results, checkedAt: new Date().toISOString() };
}

function numberOr(v: unknown): number | undefined {
  return typeof v === "number" && v > 0 ? v : undefined;
}
