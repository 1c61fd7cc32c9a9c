// Every checker by name. A workload names the checkers that judge it (CheckerSpec), a run
// stores those specs in test.json, and `faultline check` finds them here again.
// To add a checker: write it in a folder of its own, then add one line below
// (docs/checkers.md, "Adding a checker").
import { UserError } from "../core/errors.ts";
import type { Checker, CheckerSpec } from "./checker.ts";
import { compose } from "./compose.ts";
import { linearizableChecker } from "./linearizable/checker.ts";
import { progressChecker } from "./progress/index.ts";
import { echoChecker } from "./echo/index.ts";
import { uniqueIdsChecker } from "./unique-ids/index.ts";
import { broadcastChecker } from "./broadcast/index.ts";
import { setConvergenceChecker } from "./set-convergence/index.ts";
import { counterChecker } from "./counter/index.ts";
import { kafkaChecker } from "./kafka/index.ts";
import { bankChecker } from "./bank/index.ts";
import { atomicCommitChecker } from "./atomic-commit/index.ts";
import { agreementChecker } from "./agreement/index.ts";
import { replicaAgreementChecker } from "./replica-agreement/index.ts";

export type { Checker, CheckerSpec, CheckBudget, CheckerOptions } from "./checker.ts";
export type { CheckResult, Verdict } from "./types.ts";
export { compose, resultName, verdictWord, type ComposedResult } from "./compose.ts";
export { mergeVerdicts } from "./verdict.ts";

export const CHECKERS: Record<string, Checker> = {};

export function registerChecker(checker: Checker): void {
  CHECKERS[checker.name] = checker;
}

for (const checker of [
  linearizableChecker,
  progressChecker,
  echoChecker,
  uniqueIdsChecker,
  broadcastChecker,
  setConvergenceChecker,
  counterChecker,
  kafkaChecker,
  bankChecker,
  atomicCommitChecker,
  agreementChecker,
  replicaAgreementChecker,
])
  registerChecker(checker);

export function getChecker(name: string): Checker {
  const checker = CHECKERS[name];
  if (!checker)
    throw new UserError(
      `Unknown checker "${name}"; known checkers: ${Object.keys(CHECKERS).sort().join(", ")}.`,
    );
  return checker;
}

/** The composition of these specs, resolved in the registry (unknown names throw first). */
export function composeSpecs(specs: CheckerSpec[]): Checker {
  return compose(specs, getChecker);
}
