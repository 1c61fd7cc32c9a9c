// Stage "exit code": what a run or a check tells the shell (README, "Exit codes").
import type { Verdict } from "../../checkers/index.ts";
import { EXIT, type ExitCode } from "../../core/errors.ts";

export function exitCodeOf(
  verdict: Verdict,
  opts: { incomplete?: boolean; harnessError?: boolean } = {},
): ExitCode {
  if (opts.harnessError) return EXIT.harnessError;
  if (opts.incomplete) return EXIT.interrupted;
  return verdict === true ? EXIT.valid : verdict === false ? EXIT.invalid : EXIT.unknown;
}
