// "Did you mean --time-limit?": yargs says only "Unknown argument: tme-limit". Turns that
// message into one sentence naming the flag, the closest flag the command has, and where the
// list of flags is.

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, if one is close enough to be a likely typo (or starts
 *  with it: `--time` for `--time-limit`). */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(name, k);
    if (!best || distance < best.distance) best = { name: k, distance };
  }
  if (best && best.distance <= Math.max(1, Math.floor(name.length / 3))) return best.name;
  if (name.length >= 3) return known.find((k) => k.startsWith(name));
  return undefined;
}

/**
 * The sentence for yargs's "Unknown argument(s): a, b" (undefined for any other message).
 * `argv` tells a flag (`--a`, `-a`) from a stray word; `known` are the command's flags;
 * `command` is "faultline run" or "faultline".
 */
export function unknownArgumentsMessage(
  message: string,
  argv: readonly string[],
  known: readonly string[],
  command: string,
): string | undefined {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (!m) return undefined;
  const names = m[1]!.split(", ").filter(Boolean);
  // yargs lists `tmeLimit` beside `tme-limit`: keep the spelling that was typed.
  const typed = names.filter((n) => !(/[A-Z]/.test(n) && names.includes(kebab(n))));
  const parts = typed.map((name) => {
    const asFlag = argv.some((a) => flagNames(a).includes(name));
    if (!asFlag) return `unexpected argument "${name}"`;
    const shown = name.length === 1 ? `-${name}` : `--${name}`;
    const near = closest(name, known);
    return `unknown flag ${shown}${near ? ` (did you mean --${near}?)` : ""}`;
  });
  const text = parts.join(", ");
  return `${text[0]!.toUpperCase()}${text.slice(1)}; \`${command} --help\` lists what it takes.`;
}

/** The names an argument gives a flag: `--no-x` is both `no-x` and `x` to yargs. */
function flagNames(arg: string): string[] {
  const m = /^--?([^=]+)/.exec(arg);
  if (!m) return [];
  return m[1]!.startsWith("no-") ? [m[1]!, m[1]!.slice(3)] : [m[1]!];
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
