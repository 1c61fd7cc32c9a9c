// What every checker returns. `valid` is the verdict; everything else is detail for reports.

export type Verdict = true | false | "unknown";

export interface CheckResult {
  valid: Verdict;
  /** Why the verdict is unknown (budget exhausted, ...) or a one-line summary. */
  reason?: string;
  [detail: string]: unknown;
}
