// Verdicts of a stored run and of its replays side by side: which replays came to the same
// verdict as the stored run, checker by checker. Pure.
import { mergeVerdicts, type CheckResult, type Verdict } from "../../checkers/index.ts";

export type Verdicts = Record<string, Verdict>;

export function verdictsOf(results: Record<string, CheckResult>): Verdicts {
  return Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.valid]));
}

/** The replay came to the stored run's verdict: the same overall verdict, and when that was
 *  a violation, found by (one of) the same checkers. Other checkers may differ (a replay
 *  stopped at its first violation may have too few ops for `progress` to judge): the tally
 *  counts each checker on its own. */
export function reproduces(stored: Verdicts, replay: Verdicts | undefined): boolean {
  if (!replay || Object.keys(stored).length === 0) return false;
  const verdict = mergeVerdicts(Object.values(stored));
  if (mergeVerdicts(Object.values(replay)) !== verdict) return false;
  return verdict !== false || failsLike(stored, replay);
}

/** The replay failed as the stored run did: invalid, and by (one of) the same checkers. */
export function failsLike(stored: Verdicts, replay: Verdicts | undefined): boolean {
  if (!replay) return false;
  return Object.entries(stored).some(([name, v]) => v === false && replay[name] === false);
}

export function verdictWord(v: Verdict | undefined): string {
  return v === true ? "valid" : v === false ? "INVALID" : v === "unknown" ? "unknown" : "none";
}

/** "linearizable INVALID, progress valid". */
export function describeVerdicts(v: Verdicts): string {
  return Object.entries(v)
    .map(([name, verdict]) => `${name} ${verdictWord(verdict)}`)
    .join(", ");
}

/** The closing line of `faultline replay`: how many replays reproduced the stored verdict,
 *  overall and per checker. A replay that was interrupted or failed inside Faultline has no
 *  verdicts (undefined) and reproduced nothing. */
export function tally(stored: Verdicts, replays: readonly (Verdicts | undefined)[]): string {
  const n = replays.length;
  if (Object.keys(stored).length === 0)
    return `The stored run has no verdict to compare with (it was never checked); ${n} replay${n === 1 ? "" : "s"} made.`;
  const all = replays.filter((r) => reproduces(stored, r)).length;
  const per = Object.entries(stored).map(([name, v]) => {
    const same = replays.filter((r) => r?.[name] === v).length;
    return `${name} ${verdictWord(v)} ${same}/${n}`;
  });
  return `Reproduced the stored verdict in ${all} of ${n} replay${n === 1 ? "" : "s"} (${per.join(", ")}).`;
}
