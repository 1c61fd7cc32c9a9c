// The commands that repeat a run. `faultline replay <dir>` (the better one, when the run folder
// is at hand) runs the same program and applies the faults the run recorded to the nodes they
// hit; `faultline run ...` with the run's test.json parameters (the "rerun") needs no folder:
// the seed fixes the op values and the planned fault schedule (docs/running.md), though
// faults aimed at "the leader" are aimed at whoever leads then. What the system under test
// does under them may differ either way. Also the command that repeats a check of an imported
// history.
import { RUN_DEFAULTS } from "../run/spec.ts";

/** `faultline replay DIR` for a stored run, `faultline run ...` when there is no folder;
 *  undefined when the test.json is not a run's (no seed). */
export function replayCommand(test: Record<string, unknown>, dir?: string): string | undefined {
  if (typeof test.seed !== "number" || typeof test.target !== "string") return undefined;
  if (dir !== undefined) return ["faultline", "replay", dir].map(shellWord).join(" ");
  return rerunCommand(test);
}

/** `faultline run ...` with a run's parameters and seed, or undefined when it is not a run's. */
export function rerunCommand(test: Record<string, unknown>): string | undefined {
  if (typeof test.seed !== "number" || typeof test.target !== "string") return undefined;
  const args: string[] = ["faultline", "run"];
  const flag = (name: string, value: unknown) => {
    if (value !== undefined && value !== null) args.push(`--${name}`, String(value));
  };
  const program = test.program as
    { path?: unknown; args?: unknown; imagePackages?: unknown } | undefined;
  if (program && typeof program.path === "string") {
    flag("bin", program.path);
    for (const a of Array.isArray(program.args) ? program.args : []) flag("bin-arg", a);
    if (Array.isArray(program.imagePackages) && program.imagePackages.length > 0)
      flag("image-packages", program.imagePackages.join(","));
  } else flag("target", test.target);
  flag("variant", test.variant);
  flag("nodes", test.nodes);
  flag("workload", test.workload);
  if (Array.isArray(test.nemesis))
    flag("nemesis", test.nemesis.length > 0 ? test.nemesis.join(",") : "none");
  flag("byzantine", test.byzantine); // the traitor count the run resolved
  flag("nemesis-interval", test.nemesisIntervalSeconds);
  flag("time-limit", test.timeLimitSeconds);
  flag("concurrency", test.concurrency);
  flag("keys", test.keys);
  flag("rate", test.rate);
  flag("timeout-ms", test.timeoutMs);
  flag("settle", test.settleSeconds);
  if (
    typeof test.checkTimeLimitMs === "number" &&
    test.checkTimeLimitMs !== RUN_DEFAULTS.checkTimeLimitMs
  )
    flag("check-time-limit", test.checkTimeLimitMs / 1000);
  if (test.liveCheck === false) args.push("--no-live-check");
  if (test.stopOnViolation === true) args.push("--stop-on-violation");
  flag("seed", test.seed);
  return args.map(shellWord).join(" ");
}

/** `faultline check FILE ...` with the flags a check of an imported history was given. */
export function recheckCommand(history: string, flags: Record<string, unknown>): string {
  const args = ["faultline", "check", history];
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || value === false) continue;
    args.push(`--${name}`);
    if (value !== true) args.push(typeof value === "string" ? value : JSON.stringify(value));
  }
  return args.map(shellWord).join(" ");
}

/** A word as a POSIX shell reads it back: quoted only when it has to be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
