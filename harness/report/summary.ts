// The closing lines of a run on the console: verdict, counts, explanation, where things are.
import chalk from "chalk";
import { join } from "node:path";
import type { RunOutcome } from "../run/orchestrate.ts";
import { STORE_FILES } from "../store.ts";

export function summaryLines(outcome: RunOutcome): string[] {
  const verdict = outcome.incomplete
    ? chalk.yellow("INCOMPLETE: the run was interrupted")
    : outcome.verdict === true
      ? chalk.green("VALID")
      : outcome.verdict === false
        ? chalk.red("INVALID")
        : chalk.yellow("UNKNOWN");
  const c = outcome.counts;
  return [
    `Verdict: ${verdict}`,
    `Operations: ${c.ok} ok, ${c.fail} fail, ${c.info} info${c.pending ? `, ${c.pending} pending` : ""} in ${outcome.durationSeconds.toFixed(1)}s`,
    ...outcome.explanation.map((l) => `  ${l}`),
    `Stored in ${outcome.dir}`,
    `Report: ${join(outcome.dir, STORE_FILES.report)}`,
  ];
}
