// What `faultline compare` runs: the contenders (`--target raft:local-read`, `--bin prog.py`),
// the seeds (`--seeds 1-3`), and the parameters they must share so that every contender meets
// the same ops and the same fault schedule (planned from the seed, the fault kinds, the node
// names, the interval and the time limit: nemesis/schedule.ts).
import { basename } from "node:path";
import { UserError } from "../../core/errors.ts";
import type { Target } from "../../targets/types.ts";

export interface Contender {
  /** How the table names it: raft, raft:local-read, bin:node.py. */
  label: string;
  target: Target;
  variant?: string;
}

/** `raft`, `raft:local-read` (or several, comma-separated) into target name and variant. */
export function parseTargetSpecs(specs: readonly string[]): { target: string; variant?: string }[] {
  return specs
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => {
      const [target, variant, extra] = spec.split(":");
      if (!target || extra !== undefined || variant === "")
        throw new UserError(
          `--target ${spec}: give a target, or a target and one of its variants as TARGET:VARIANT (raft:local-read).`,
        );
      return variant === undefined || variant === "correct" ? { target } : { target, variant };
    });
}

/** The label of a --bin program: `bin:<file name>`, or `bin:<path>` when two share a name. */
export function binLabels(paths: readonly string[]): string[] {
  const names = paths.map((p) => basename(p.replace(/\/+$/, "")));
  return paths.map((p, i) =>
    names.filter((n) => n === names[i]).length > 1 ? `bin:${p}` : `bin:${names[i]}`,
  );
}

/** Every label once: comparing a contender with itself on the same seed says nothing. */
export function checkDistinct(contenders: readonly Contender[]): void {
  const seen = new Set<string>();
  for (const c of contenders) {
    if (seen.has(c.label))
      throw new UserError(`${c.label} is given twice; name each contender once.`);
    seen.add(c.label);
  }
}

/** `--seeds 1-3`, `--seeds 1,5,9` (or a mix) into the seeds, in order, at most 100. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const range = /^(-?\d+)\s*-\s*(-?\d+)$/.exec(part);
    const one = /^-?\d+$/.test(part) ? Number(part) : undefined;
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) throw new UserError(`--seeds ${text}: the range ${part} runs backwards.`);
      for (let s = from; s <= to && seeds.length <= 100; s++) seeds.push(s);
    } else if (one !== undefined) seeds.push(one);
    else
      throw new UserError(
        `--seeds ${text}: give whole numbers and ranges, comma-separated (1-3 or 1,5,9).`,
      );
  }
  if (seeds.length > 100) throw new UserError(`--seeds ${text}: at most 100 seeds.`);
  if (new Set(seeds).size !== seeds.length)
    throw new UserError(`--seeds ${text} names a seed twice.`);
  return seeds;
}

/**
 * The value every contender shares: the one given, else their common default. Contenders whose
 * defaults differ cannot share a schedule (nodes, nemesis) or ops (workload) without one:
 * UserError naming each default and the flag that settles it.
 */
export function shared<T>(
  given: T | undefined,
  contenders: readonly Contender[],
  defaultOf: (c: Contender) => T,
  flag: string,
  why: string,
): T {
  if (given !== undefined) return given;
  const defaults = contenders.map((c) => ({ label: c.label, value: defaultOf(c) }));
  const first = JSON.stringify(defaults[0]!.value);
  if (defaults.every((d) => JSON.stringify(d.value) === first)) return defaults[0]!.value;
  throw new UserError(
    `The contenders' defaults differ (${defaults.map((d) => `${d.label}: ${String(d.value)}`).join("; ")}); give ${flag} so that ${why}.`,
  );
}
