// Atomicity of transfers of unknown outcome: is there a choice of whole info transfers (each
// applied on both sides or on neither) that turns the opening balances plus every ok transfer
// into the final balances?
//
// The residual of an account is final - opening - (sum of its ok transfers). A chosen info
// transfer of `amount` from a to b adds -amount to a's side and +amount to b's. So the question
// is: is there a subset of the info transfers whose net flow into each account is its residual?
//
// How it is decided, without trying 2^n subsets:
// 1. Accounts joined by info transfers form components; each component is independent. An
//    account no info transfer touches must have residual 0 exactly; a component whose
//    residuals do not sum to 0 has money created or destroyed in it (no choice of whole
//    transfers moves money out of a component).
// 2. Inside a component, the info transfers between the same two accounts are grouped: what
//    matters of them is their net flow, one of the subset sums of their signed amounts.
// 3. A depth-first search assigns each pair a net flow, pairs in breadth-first order of the
//    accounts, so accounts close early: when the last pair of an account is assigned its
//    residual must be met exactly (the value is forced), and every open account's residual
//    must stay within the range its unassigned pairs can still reach. Failed states (pair
//    index, residuals still needed) are remembered and never searched twice.
// The search is bounded (steps and time); past the bound the answer is "unknown".

export interface Edge {
  id: string;
  from: string;
  to: string;
  amount: number;
}

export interface Component {
  accounts: string[];
  /** Sum of the residuals of its accounts: not 0 means money created (>0) or destroyed. */
  residualSum: number;
  /** Ids of the info transfers inside it. */
  transfers: string[];
}

export interface SolveResult {
  status: "explained" | "violated" | "unknown";
  /** Accounts with a residual that no info transfer touches. */
  untouched: { account: string; residual: number }[];
  /** Components whose residuals do not sum to 0. */
  unbalanced: Component[];
  /** Components that balance but where no choice of whole transfers meets every residual. */
  unsolvable: Component[];
  /** Components the search gave up on (budget). */
  undecided: Component[];
  /** When explained: the info transfers the explanation applies. */
  applied: string[];
  components: number;
  steps: number;
}

export interface SolveBudget {
  maxSteps?: number;
  deadline?: number;
}

const MAX_SUMS = 200_000;

export function solveResiduals(
  residual: Map<string, number>,
  edges: Edge[],
  budget: SolveBudget = {},
): SolveResult {
  const maxSteps = budget.maxSteps ?? 5_000_000;
  const deadline = budget.deadline ?? Infinity;
  const parent = new Map<string, string>();
  const find = (a: string): string => {
    let r = a;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(a, r);
    return r;
  };
  const live = edges.filter((e) => e.from !== e.to && residual.has(e.from) && residual.has(e.to));
  for (const a of residual.keys()) parent.set(a, a);
  for (const e of live) parent.set(find(e.from), find(e.to));
  const byRoot = new Map<string, { accounts: string[]; edges: Edge[] }>();
  for (const a of residual.keys()) {
    const root = find(a);
    if (!byRoot.has(root)) byRoot.set(root, { accounts: [], edges: [] });
    byRoot.get(root)!.accounts.push(a);
  }
  for (const e of live) byRoot.get(find(e.from))!.edges.push(e);

  const result: SolveResult = {
    status: "explained",
    untouched: [],
    unbalanced: [],
    unsolvable: [],
    undecided: [],
    applied: [],
    components: 0,
    steps: 0,
  };
  for (const { accounts, edges: es } of byRoot.values()) {
    if (es.length === 0) {
      const r = residual.get(accounts[0]!)!;
      if (r !== 0) result.untouched.push({ account: accounts[0]!, residual: r });
      continue;
    }
    result.components++;
    const component: Component = {
      accounts: accounts.sort(),
      residualSum: accounts.reduce((s, a) => s + residual.get(a)!, 0),
      transfers: es.map((e) => e.id),
    };
    if (component.residualSum !== 0) {
      result.unbalanced.push(component);
      continue;
    }
    const stepsLeft = maxSteps - result.steps;
    const found = searchComponent(accounts, es, residual, stepsLeft, deadline);
    result.steps += found.steps;
    if (found.applied) result.applied.push(...found.applied);
    else if (found.exhausted) result.undecided.push(component);
    else result.unsolvable.push(component);
  }
  if (result.untouched.length + result.unbalanced.length + result.unsolvable.length > 0)
    result.status = "violated";
  else if (result.undecided.length > 0) result.status = "unknown";
  return result;
}

interface Pair {
  lo: string;
  hi: string;
  /** Net flow into `hi` -> one subset of the pair's transfers achieving it. */
  sums: Map<number, string[]>;
  min: number;
  max: number;
}

function searchComponent(
  accounts: string[],
  edges: Edge[],
  residual: Map<string, number>,
  maxSteps: number,
  deadline: number,
): { applied?: string[]; exhausted: boolean; steps: number } {
  // Group the transfers by the two accounts they join; flow is counted into the larger name.
  const pairsByKey = new Map<string, { lo: string; hi: string; signed: [number, string][] }>();
  for (const e of edges) {
    const [lo, hi] = e.from < e.to ? [e.from, e.to] : [e.to, e.from];
    const key = `${lo}\u0000${hi}`;
    if (!pairsByKey.has(key)) pairsByKey.set(key, { lo, hi, signed: [] });
    pairsByKey.get(key)!.signed.push([e.to === hi ? e.amount : -e.amount, e.id]);
  }
  const pairs: Pair[] = [];
  for (const { lo, hi, signed } of pairsByKey.values()) {
    let sums = new Map<number, string[]>([[0, []]]);
    for (const [v, id] of signed) {
      const next = new Map(sums);
      for (const [s, ids] of sums) if (!next.has(s + v)) next.set(s + v, [...ids, id]);
      sums = next;
      if (sums.size > MAX_SUMS) return { exhausted: true, steps: 0 };
    }
    const values = [...sums.keys()];
    pairs.push({ lo, hi, sums, min: Math.min(...values), max: Math.max(...values) });
  }
  // Breadth-first order of accounts from the one with the fewest pairs; pairs in the order
  // their first account is reached, so accounts close (all their pairs assigned) early.
  const incident = new Map<string, number[]>(accounts.map((a) => [a, []]));
  pairs.forEach((p, i) => {
    incident.get(p.lo)!.push(i);
    incident.get(p.hi)!.push(i);
  });
  const start = [...accounts].sort((a, b) => incident.get(a)!.length - incident.get(b)!.length)[0]!;
  const order: number[] = [];
  const placed = new Set<number>();
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const a = queue.shift()!;
    for (const i of incident.get(a)!) {
      if (placed.has(i)) continue;
      placed.add(i);
      order.push(i);
      const p = pairs[i]!;
      const other = p.lo === a ? p.hi : p.lo;
      if (!seen.has(other)) {
        seen.add(other);
        queue.push(other);
      }
    }
  }
  const ordered = order.map((i) => pairs[i]!);
  const last = new Map<string, number>();
  ordered.forEach((p, i) => {
    last.set(p.lo, i);
    last.set(p.hi, i);
  });
  // need[a]: the flow into a still to be supplied by its unassigned pairs; [lo, hi] the range
  // those pairs can still reach.
  const need = new Map(accounts.map((a) => [a, residual.get(a)!]));
  const reachLo = new Map(accounts.map((a) => [a, 0]));
  const reachHi = new Map(accounts.map((a) => [a, 0]));
  for (const p of ordered) {
    reachLo.set(p.hi, reachLo.get(p.hi)! + p.min);
    reachHi.set(p.hi, reachHi.get(p.hi)! + p.max);
    reachLo.set(p.lo, reachLo.get(p.lo)! - p.max);
    reachHi.set(p.lo, reachHi.get(p.lo)! - p.min);
  }
  const failed = new Set<string>();
  const chosen: number[] = [];
  let steps = 0;
  let exhausted = false;

  const stateKey = (i: number) => `${i}|${accounts.map((a) => need.get(a)).join(",")}`;

  const dfs = (i: number): boolean => {
    if (i === ordered.length) return true;
    if (++steps > maxSteps || (steps % 4096 === 0 && Date.now() > deadline)) {
      exhausted = true;
      return false;
    }
    const key = stateKey(i);
    if (failed.has(key)) return false;
    const p = ordered[i]!;
    // Without this pair, what each end's other pairs can still reach.
    const loLo = reachLo.get(p.lo)! + p.max;
    const loHi = reachHi.get(p.lo)! + p.min;
    const hiLo = reachLo.get(p.hi)! - p.min;
    const hiHi = reachHi.get(p.hi)! - p.max;
    const closesLo = last.get(p.lo) === i;
    const closesHi = last.get(p.hi) === i;
    let candidates: number[];
    if (closesHi) candidates = p.sums.has(need.get(p.hi)!) ? [need.get(p.hi)!] : [];
    else if (closesLo) candidates = p.sums.has(-need.get(p.lo)!) ? [-need.get(p.lo)!] : [];
    else candidates = [...p.sums.keys()].sort((x, y) => Math.abs(x) - Math.abs(y));
    reachLo.set(p.lo, loLo);
    reachHi.set(p.lo, loHi);
    reachLo.set(p.hi, hiLo);
    reachHi.set(p.hi, hiHi);
    const needLo = need.get(p.lo)!;
    const needHi = need.get(p.hi)!;
    let ok = false;
    for (const v of candidates) {
      const nLo = needLo + v; // lo gives v
      const nHi = needHi - v; // hi receives v
      if (closesLo && nLo !== 0) continue;
      if (closesHi && nHi !== 0) continue;
      if (nLo < loLo || nLo > loHi || nHi < hiLo || nHi > hiHi) continue;
      need.set(p.lo, nLo);
      need.set(p.hi, nHi);
      chosen.push(v);
      if (dfs(i + 1)) {
        ok = true;
        break;
      }
      chosen.pop();
      if (exhausted) break;
    }
    need.set(p.lo, needLo);
    need.set(p.hi, needHi);
    reachLo.set(p.lo, loLo - p.max);
    reachHi.set(p.lo, loHi - p.min);
    reachLo.set(p.hi, hiLo + p.min);
    reachHi.set(p.hi, hiHi + p.max);
    if (!ok && !exhausted) failed.add(key);
    return ok;
  };

  if (dfs(0)) {
    const applied = ordered.flatMap((p, i) => p.sums.get(chosen[i]!)!);
    return { applied, exhausted: false, steps };
  }
  return { exhausted, steps };
}
