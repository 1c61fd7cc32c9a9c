// The search of `faultline shrink`: from a failing run, smaller runs that still fail. Pure:
// it knows a candidate only as a list of faults, a time limit, a number of clients and of
// keys, and asks `run` whether one run of it failed. Runs against real systems are not
// deterministic, so a candidate counts as failing if any of `tries` runs fails (it stops at
// the first), and as passing only after all of them passed.
//
// The steps, each keeping what it found before the next:
//   1. no faults at all (a bug that needs none: the cheapest candidate there is);
//   2. only the faults that started before the original run was caught (when it is known);
//   3. delta debugging over the faults (Zeller's ddmin: halves, then complements, then finer
//      pieces) until removing any one fault makes the run pass;
//   4. fewer clients (halved down to 1), then fewer keys (one less down to 1).
// Every candidate's time limit is cut after its last fault (`timeLimitFor`).

export interface Candidate<F> {
  /** The faults kept, in the original's order. */
  faults: readonly F[];
  timeLimitSeconds: number;
  concurrency: number;
  /** Absent for a workload without keys. */
  keys?: number;
}

export interface Trial<F> {
  step: string;
  candidate: Candidate<F>;
  /** Runs made of it (at most `tries`), and whether one failed. */
  runs: number;
  failed: boolean;
}

export interface SearchOptions<F> {
  /** The failing run to start from. */
  original: Candidate<F>;
  /** One run of a candidate: true when it failed as the original did. */
  run(candidate: Candidate<F>): Promise<boolean>;
  /** The time limit of a run with these faults: after the last one, plus a margin. */
  timeLimitFor(faults: readonly F[]): number;
  /** Runs per candidate before it counts as passing. */
  tries: number;
  /** At most this many runs in all; the search ends with the best so far. */
  budget: number;
  /** Faults that started before the original run was caught (step 2), when it is known. */
  beforeViolation?: readonly F[];
  /** Told of each candidate once it is decided. */
  onTrial?(trial: Trial<F>): void;
  /** Stop early (Ctrl-C): the search ends with the best so far. */
  signal?: AbortSignal;
}

export interface SearchResult<F> {
  /** The smallest candidate seen failing (the original if none smaller failed). */
  best: Candidate<F>;
  trials: Trial<F>[];
  runs: number;
  /** The budget ran out (or the search was stopped) before every step was done. */
  cutShort: boolean;
}

export async function shrink<F>(opts: SearchOptions<F>): Promise<SearchResult<F>> {
  const trials: Trial<F>[] = [];
  let runs = 0;
  let cutShort = false;
  let best = opts.original;
  const tried = new Map<string, boolean>();
  const all = opts.original.faults;
  const indexOf = new Map(all.map((f, i) => [f, i]));

  const outOfRuns = () => runs >= opts.budget || opts.signal?.aborted === true;

  /** Whether `candidate` fails (at least one of `tries` runs); false once out of runs. */
  const fails = async (step: string, candidate: Candidate<F>): Promise<boolean> => {
    const key = keyOf(candidate, indexOf);
    const known = tried.get(key);
    if (known !== undefined) return known;
    let made = 0;
    let failed = false;
    while (made < opts.tries && !failed) {
      if (outOfRuns()) {
        cutShort = true;
        break;
      }
      made++;
      runs++;
      failed = await opts.run(candidate);
    }
    // A candidate cut short by the budget is not known to pass: not remembered.
    if (failed || made === opts.tries) tried.set(key, failed);
    const trial = { step, candidate, runs: made, failed };
    if (made > 0) {
      trials.push(trial);
      opts.onTrial?.(trial);
    }
    if (failed) best = candidate;
    return failed;
  };

  const withFaults = (faults: readonly F[]): Candidate<F> => ({
    ...best,
    faults: [...faults].sort((a, b) => indexOf.get(a)! - indexOf.get(b)!),
    timeLimitSeconds: Math.min(opts.original.timeLimitSeconds, opts.timeLimitFor(faults)),
  });

  // 1. No faults.
  if (best.faults.length > 0) await fails("no faults", withFaults([]));
  // 2. Only the faults before the violation.
  const before = opts.beforeViolation?.filter((f) => best.faults.includes(f));
  if (before && before.length < best.faults.length && best.faults.length > 0)
    await fails("faults before the violation", withFaults(before));
  // 3. ddmin over what is left.
  if (best.faults.length > 1) await ddmin(best.faults, fails, withFaults);
  // 4. Fewer clients, then fewer keys: each smaller value while the run still fails.
  for (let c = Math.ceil(best.concurrency / 2); c >= 1 && c < best.concurrency;) {
    if (!(await fails("fewer clients", { ...best, concurrency: c }))) break;
    c = Math.ceil(c / 2);
  }
  for (let k = (best.keys ?? 1) - 1; k >= 1; k--)
    if (!(await fails("fewer keys", { ...best, keys: k }))) break;

  return { best, trials, runs, cutShort: cutShort || outOfRuns() };
}

/** Zeller's ddmin over `faults`: the subsets of n pieces, then their complements, then n
 *  doubled, until no single piece can go. Leaves `best` (through `fails`) at the smallest
 *  failing set found. */
async function ddmin<F>(
  faults: readonly F[],
  fails: (step: string, c: Candidate<F>) => Promise<boolean>,
  withFaults: (faults: readonly F[]) => Candidate<F>,
): Promise<void> {
  let current = [...faults];
  let n = 2;
  while (current.length >= 2) {
    const pieces = split(current, n);
    let next: { faults: F[]; n: number } | undefined;
    for (const piece of pieces)
      if (await fails(`ddmin: ${piece.length} of ${current.length} faults`, withFaults(piece))) {
        next = { faults: piece, n: 2 };
        break;
      }
    // With two pieces each complement is the other piece, already tried.
    if (!next && n > 2)
      for (const piece of pieces) {
        const rest = current.filter((f) => !piece.includes(f));
        if (await fails(`ddmin: ${rest.length} of ${current.length} faults`, withFaults(rest))) {
          next = { faults: rest, n: Math.max(n - 1, 2) };
          break;
        }
      }
    if (next) {
      current = next.faults;
      n = next.n;
    } else if (n < current.length) n = Math.min(current.length, n * 2);
    else return;
  }
}

/** `items` in n pieces of nearly equal length, in order. */
export function split<T>(items: readonly T[], n: number): T[][] {
  const pieces: T[][] = [];
  let from = 0;
  for (let i = 0; i < n; i++) {
    const to = from + Math.floor((items.length - from) / (n - i));
    if (to > from) pieces.push(items.slice(from, to));
    from = to;
  }
  return pieces;
}

function keyOf<F>(c: Candidate<F>, indexOf: Map<F, number>): string {
  const faults = c.faults.map((f) => indexOf.get(f)).join(",");
  return `${faults}|${c.timeLimitSeconds}|${c.concurrency}|${c.keys ?? ""}`;
}
