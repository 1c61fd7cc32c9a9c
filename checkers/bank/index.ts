// The bank checker, for the transfer workload (docs/atomic-commit.md, "postgres-2pc and the
// transfer workload"). Accounts are named `<node>/<account>` (n2/3); each opens at `initial`.
// An ok transfer certainly committed, a fail certainly did not, an info (or never completed)
// transfer may have, but only whole: debited and credited, or neither.
//
// - no negative balance in any ok read;
// - reads before the end: each balance lies within what the transfers invoked before the
//   read completed allow (each may or may not be visible yet): no money from nowhere;
// - conservation: the final reads (each participant's last, after healing: a consistent cut
//   once nothing is in flight) total exactly the opening total;
// - atomicity: final = opening + every ok transfer + a choice of whole info transfers, per
//   account (checkers/bank/solve.ts decides it by components and grouped account pairs);
// - termination: no final read still sees a prepared transaction in doubt.
// Measured, not judged: what the coordinator's recoveries found in doubt and resolved.
import type { Op } from "../../histories/op.ts";
import { pairHistory, type PairedOp } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import { firstFew, maxReported, show } from "../elements.ts";
import { byNodeName, describeFinalReads, finalReads, readerOf } from "../final-reads.ts";
import type { CheckResult } from "../types.ts";
import { solveResiduals, type Component, type Edge } from "./solve.ts";

interface Transfer extends Edge {
  type: "ok" | "fail" | "info";
}

export interface BadBalance {
  /** The op index of the read's completion. */
  read: number;
  node: string;
  account: string;
  balance: unknown;
  lower?: number;
  upper?: number;
}

export interface BankResult extends CheckResult {
  nodes: string[];
  accounts: number;
  initial: number;
  transfers: { ok: number; fail: number; info: number };
  reads: number;
  negative: BadBalance[];
  negativeCount: number;
  malformed: { read: number; node: string; why: string }[];
  malformedCount: number;
  impossible: BadBalance[];
  impossibleCount: number;
  finalReads: "marked" | "inferred";
  nodesWithoutFinalRead: string[];
  /** Each account's final balance (its node's last final read). */
  finalBalances: Record<string, number>;
  finalTotal: number | null;
  openingTotal: number;
  /** Accounts whose final balance the opening one plus ok transfers do not explain, and
   *  what the search over info transfers found. */
  atomicity: {
    status: "explained" | "violated" | "unknown" | "not checked";
    untouched: { account: string; residual: number; final: number; okTransfers: string[] }[];
    /** Components with money created or destroyed; `partial`: info transfers that, applied on
     *  one side only, make the component's final balances come out exactly. */
    unbalanced: (Component & { transferCount: number; partial: HalfApplied[] })[];
    unsolvable: Component[];
    undecided: Component[];
    infoApplied: number;
    components: number;
    steps: number;
  };
  inDoubt: { read: number; node: string; gids: string[] }[];
  recovery: unknown;
}

export function checkBank(history: Op[], options: CheckerOptions = {}): BankResult | CheckResult {
  const report = maxReported(options);
  const initial = typeof options.initial === "number" ? options.initial : 100;
  const perNode = typeof options.accounts === "number" ? options.accounts : 5;
  const paired = pairHistory(history);
  const nodes = Array.isArray(options.nodes)
    ? (options.nodes as string[])
    : [...new Set(paired.filter((p) => p.f === "balances").map(readerOf))].sort(byNodeName);
  const accounts: string[] = nodes.flatMap((n) =>
    Array.from({ length: perNode }, (_, i) => `${n}/${i}`),
  );
  const known = new Set(accounts);

  const transfers: Transfer[] = [];
  for (const p of paired) {
    if (p.f !== "transfer") continue;
    const t = asTransfer(p);
    if (!t || !known.has(t.from) || !known.has(t.to))
      return {
        valid: "unknown",
        reason: `transfer op ${p.invoke.index} has value ${show(p.invoke.value, 120)}: not {id, from: {node, account}, to, amount > 0} between known accounts`,
      };
    transfers.push(t);
  }
  const count = (type: string) => transfers.filter((t) => t.type === type).length;

  // Every ok read: shape, no negative balance, within what the invoked transfers allow.
  const bounds = boundsBefore(paired, accounts, initial);
  const negative: BadBalance[] = [];
  const malformed: BankResult["malformed"] = [];
  const impossible: BadBalance[] = [];
  const reads = paired.filter((p) => p.f === "balances" && p.type === "ok");
  const readBalances = new Map<PairedOp, Map<string, number>>();
  for (const p of reads) {
    const node = readerOf(p);
    const at = p.completion!.index;
    const got = balancesOf(p, node, perNode);
    if (typeof got === "string") {
      malformed.push({ read: at, node, why: got });
      continue;
    }
    readBalances.set(p, got);
    for (const [account, balance] of got) {
      if (balance < 0) negative.push({ read: at, node, account, balance });
      const [lower, upper] = bounds(account, p.completePos);
      if (balance < lower || balance > upper)
        impossible.push({ read: at, node, account, balance, lower, upper });
    }
  }

  // The final cut: each node's last final read.
  const final = finalReads(history, paired, "balances", nodes);
  const finalBalances: Record<string, number> = {};
  const inDoubt: BankResult["inDoubt"] = [];
  for (const node of final.readers) {
    const p = final.last.get(node);
    const got = p && readBalances.get(p);
    if (!p || !got) continue;
    for (const [account, balance] of got) finalBalances[account] = balance;
    const gids = (p.value as { in_doubt?: unknown }).in_doubt;
    if (Array.isArray(gids) && gids.length > 0)
      inDoubt.push({ read: p.completion!.index, node, gids: gids.map(String) });
  }
  const complete = accounts.every((a) => a in finalBalances);
  const openingTotal = initial * accounts.length;
  const finalTotal = complete ? accounts.reduce((s, a) => s + finalBalances[a]!, 0) : null;

  const atomicity: BankResult["atomicity"] = {
    status: "not checked",
    untouched: [],
    unbalanced: [],
    unsolvable: [],
    undecided: [],
    infoApplied: 0,
    components: 0,
    steps: 0,
  };
  if (complete) {
    const residual = new Map(accounts.map((a) => [a, finalBalances[a]! - initial]));
    const okTouching = new Map<string, string[]>(accounts.map((a) => [a, []]));
    for (const t of transfers) {
      if (t.type !== "ok") continue;
      residual.set(t.from, residual.get(t.from)! + t.amount);
      residual.set(t.to, residual.get(t.to)! - t.amount);
      okTouching.get(t.from)!.push(t.id);
      okTouching.get(t.to)!.push(t.id);
    }
    const info = transfers.filter((t) => t.type === "info");
    const deadline =
      Date.now() + (typeof options.timeLimitMs === "number" ? options.timeLimitMs : 60_000);
    const solved = solveResiduals(residual, info, { deadline });
    const byId = new Map(info.map((t) => [t.id, t]));
    atomicity.status = solved.status;
    atomicity.untouched = solved.untouched.map((u) => ({
      ...u,
      final: finalBalances[u.account]!,
      okTransfers: firstFew(okTouching.get(u.account)!, report),
    }));
    atomicity.unbalanced = solved.unbalanced.map((c) => ({
      ...c,
      transfers: firstFew(c.transfers, report),
      transferCount: c.transfers.length,
      partial: halfApplied(c, residual, info, deadline, report),
    }));
    atomicity.unsolvable = solved.unsolvable;
    atomicity.undecided = solved.undecided;
    atomicity.infoApplied = solved.applied.length;
    atomicity.components = solved.components;
    atomicity.steps = solved.steps;
  }

  const recoveryOp = paired.filter((p) => p.f === "recovery" && p.type === "ok").pop();
  const result: BankResult = {
    valid: true,
    nodes,
    accounts: perNode,
    initial,
    transfers: { ok: count("ok"), fail: count("fail"), info: count("info") },
    reads: reads.length,
    negative: firstFew(negative, report),
    negativeCount: negative.length,
    malformed: firstFew(malformed, report),
    malformedCount: malformed.length,
    impossible: firstFew(impossible, report),
    impossibleCount: impossible.length,
    finalReads: final.how,
    nodesWithoutFinalRead: final.missing,
    finalBalances,
    finalTotal,
    openingTotal,
    atomicity,
    inDoubt,
    recovery: recoveryOp?.value ?? null,
  };
  const broken = [
    negative.length > 0 && `${negative.length} negative balances read`,
    malformed.length > 0 && `${malformed.length} malformed reads`,
    impossible.length > 0 && `${impossible.length} balances no set of invoked transfers explains`,
    finalTotal !== null &&
      finalTotal !== openingTotal &&
      `money ${finalTotal > openingTotal ? "created" : "destroyed"}: the final balances total ${finalTotal}, the opening total is ${openingTotal}`,
    atomicity.status === "violated" &&
      "the final balances are not the opening ones plus the ok transfers plus whole transfers of unknown outcome",
    inDoubt.length > 0 &&
      `${inDoubt.reduce((s, d) => s + d.gids.length, 0)} prepared transactions still in doubt at the final reads`,
  ].filter(Boolean);
  if (broken.length > 0) {
    result.valid = false;
    result.reason = broken.join("; ");
  } else if (final.all.length === 0 || !complete) {
    result.valid = "unknown";
    result.reason =
      final.missing.length > 0
        ? `no final read succeeded on ${final.missing.join(", ")}: the final balances are unknown`
        : "the final reads do not cover every account: the final balances are unknown";
  } else if (atomicity.status === "unknown") {
    result.valid = "unknown";
    result.reason = `the search for which transfers of unknown outcome applied gave up after ${atomicity.steps} steps`;
  } else {
    result.reason = `the final balances total ${finalTotal} as they opened, and are the opening ones plus ${result.transfers.ok} ok transfers plus ${atomicity.infoApplied} of ${result.transfers.info} transfers of unknown outcome, each whole; no negative balance`;
  }
  return result;
}

export interface HalfApplied {
  id: string;
  from: string;
  to: string;
  amount: number;
  /** Which side took effect. */
  applied: "debit" | "credit";
}

/** The info transfers of an unbalanced component that explain it when applied on one side
 *  only (the credit when money was created, the debit when destroyed), the other info
 *  transfers each whole or not at all. Candidates have the component's imbalance as their
 *  amount; each is checked with the same search (at most 20 candidates). */
function halfApplied(
  c: Component,
  residual: Map<string, number>,
  info: Transfer[],
  deadline: number,
  report: number,
): HalfApplied[] {
  const inside = new Set(c.accounts);
  const edges = info.filter((t) => inside.has(t.from) && inside.has(t.to));
  const amount = Math.abs(c.residualSum);
  const applied = c.residualSum > 0 ? "credit" : "debit";
  const found: HalfApplied[] = [];
  for (const t of edges.filter((e) => e.amount === amount).slice(0, 20)) {
    const r = new Map(c.accounts.map((a) => [a, residual.get(a)!]));
    if (applied === "credit") r.set(t.to, r.get(t.to)! - t.amount);
    else r.set(t.from, r.get(t.from)! + t.amount);
    const rest = edges.filter((e) => e !== t);
    if (solveResiduals(r, rest, { deadline, maxSteps: 200_000 }).status === "explained")
      found.push({ id: t.id, from: t.from, to: t.to, amount: t.amount, applied });
    if (found.length >= report) break;
  }
  return found;
}

function asTransfer(p: PairedOp): Transfer | undefined {
  const v = p.invoke.value as Record<string, unknown> | undefined;
  if (!v || typeof v !== "object") return undefined;
  const account = (a: unknown) => {
    const x = a as { node?: unknown; account?: unknown } | undefined;
    return x && typeof x.node === "string" && Number.isInteger(x.account)
      ? `${x.node}/${x.account as number}`
      : undefined;
  };
  const from = account(v.from);
  const to = account(v.to);
  const amount = v.amount;
  if (typeof v.id !== "string" || !from || !to || from === to) return undefined;
  if (typeof amount !== "number" || !Number.isInteger(amount) || amount <= 0) return undefined;
  return { id: v.id, from, to, amount, type: p.type };
}

/** A read's balances by account name, or why it is malformed. */
function balancesOf(p: PairedOp, node: string, perNode: number): Map<string, number> | string {
  const value = p.value as { balances?: unknown } | null | undefined;
  const b = value && typeof value === "object" ? value.balances : undefined;
  if (!b || typeof b !== "object" || Array.isArray(b)) return `no balances in ${show(p.value)}`;
  const got = new Map<string, number>();
  const entries = Object.entries(b as Record<string, unknown>);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= perNode) return `unknown account ${node}/${k}`;
    if (typeof v !== "number" || !Number.isInteger(v)) return `${node}/${k} = ${show(v)}`;
    got.set(`${node}/${i}`, v);
  }
  for (let i = 0; i < perNode; i++)
    if (!got.has(`${node}/${i}`)) return `account ${node}/${i} missing`;
  return got;
}

/** For each account, the range its balance can have by a history position: opening balance
 *  plus, over the transfers (not failed) invoked before it, the sum of the debits (low end)
 *  or of the credits (high end). Prefix sums per account, a binary search per question. */
function boundsBefore(
  paired: PairedOp[],
  accounts: string[],
  initial: number,
): (account: string, pos: number) => [number, number] {
  const per = new Map(accounts.map((a) => [a, { pos: [] as number[], lo: [0], hi: [0] }]));
  const live = paired
    .filter((p) => p.f === "transfer" && p.type !== "fail")
    .sort((a, b) => a.invokePos - b.invokePos);
  for (const p of live) {
    const t = asTransfer(p);
    if (!t) continue;
    for (const [a, d] of [
      [t.from, -t.amount],
      [t.to, t.amount],
    ] as const) {
      const e = per.get(a);
      if (!e) continue;
      e.pos.push(p.invokePos);
      e.lo.push(e.lo[e.lo.length - 1]! + Math.min(0, d));
      e.hi.push(e.hi[e.hi.length - 1]! + Math.max(0, d));
    }
  }
  return (account, pos) => {
    const e = per.get(account)!;
    let lo = 0;
    let hi = e.pos.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (e.pos[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return [initial + e.lo[lo]!, initial + e.hi[lo]!];
  };
}

function explainBank(result: CheckResult): string[] {
  const r = result as BankResult;
  if (!r.transfers) return [];
  const lines = [
    `transfers: ${r.transfers.ok} ok, ${r.transfers.fail} aborted (fail), ${r.transfers.info} of unknown outcome (info); ${r.reads} balances reads; ${r.nodes.length} participants x ${r.accounts} accounts opening at ${r.initial}`,
    `no negative balance: ${r.negativeCount === 0 ? "ok" : `violated (${r.negativeCount})`}`,
    ...r.negative.map((b) => `  ${b.account} = ${show(b.balance)} (read op ${b.read})`),
    ...(r.malformedCount > 0
      ? [
          `malformed reads: ${r.malformedCount}`,
          ...r.malformed.map((m) => `  ${m.node} (read op ${m.read}): ${m.why}`),
        ]
      : []),
    `reads before the end: ${r.impossibleCount === 0 ? "every balance within what the invoked transfers allow" : `${r.impossibleCount} balances no set of invoked transfers explains`}`,
    ...r.impossible.map(
      (b) =>
        `  ${b.account} = ${show(b.balance)} (read op ${b.read}); the transfers invoked by then allow [${b.lower}, ${b.upper}]`,
    ),
  ];
  if (r.finalTotal === null) {
    lines.push("conservation and atomicity: not checked, the final balances are unknown");
  } else {
    const diff = r.finalTotal - r.openingTotal;
    lines.push(
      `conservation: the final balances total ${r.finalTotal}, opening total ${r.openingTotal}${diff === 0 ? ": ok" : `: money ${diff > 0 ? "created" : "destroyed"} (${diff > 0 ? "+" : ""}${diff})`}`,
    );
    const a = r.atomicity;
    lines.push(
      `atomicity (final = opening + ok transfers + whole info transfers): ${a.status === "explained" ? `ok, ${a.infoApplied} of ${r.transfers.info} info transfers applied` : a.status}`,
    );
    for (const u of a.untouched)
      lines.push(
        `  ${u.account}: final ${u.final}, but the opening balance and its ok transfers give ${u.final - u.residual} (${u.residual > 0 ? "+" : ""}${u.residual}), and no transfer of unknown outcome touches it; ok transfers touching it: ${u.okTransfers.join(", ") || "none"}`,
      );
    for (const c of a.unbalanced) {
      const more = c.transferCount - c.transfers.length;
      lines.push(
        `  accounts ${c.accounts.join(", ")}: ${c.residualSum > 0 ? "+" : ""}${c.residualSum} that no choice of whole transfers moves among them (${c.transferCount} transfers of unknown outcome there: ${c.transfers.join(", ")}${more > 0 ? `, and ${more} more` : ""})`,
      );
      for (const h of c.partial)
        lines.push(
          `  transfer ${h.id} (${h.from} -> ${h.to}, ${h.amount}), of unknown outcome, would explain it if applied on one side only: ${h.applied === "credit" ? `credited to ${h.to}, never debited from ${h.from}` : `debited from ${h.from}, never credited to ${h.to}`}`,
        );
    }
    for (const c of a.unsolvable)
      lines.push(
        `  accounts ${c.accounts.join(", ")}: no choice of whole transfers among ${c.transfers.join(", ")} gives their final balances`,
      );
    for (const c of a.undecided)
      lines.push(`  accounts ${c.accounts.join(", ")}: undecided (search budget)`);
  }
  lines.push(
    `termination: ${r.inDoubt.length === 0 ? "no prepared transaction in doubt at the final reads" : r.inDoubt.map((d) => `${d.node} still held ${d.gids.join(", ")} prepared (read op ${d.read})`).join("; ")}`,
  );
  lines.push(describeFinalReads({ how: r.finalReads, missing: r.nodesWithoutFinalRead }));
  const rec = r.recovery as {
    starts?: number;
    recovery?: { found?: number; committed?: number; rolled_back?: number };
    max_in_doubt_s?: number;
    resolved_later?: { committed?: number; rolled_back?: number };
  } | null;
  if (rec && typeof rec === "object" && rec.recovery)
    lines.push(
      `blocking: the coordinator started ${rec.starts} times; its recoveries found ${rec.recovery.found} prepared transactions in doubt (${rec.recovery.committed} committed, ${rec.recovery.rolled_back} rolled back; longest in doubt ${rec.max_in_doubt_s} s); resolved later: ${rec.resolved_later?.committed ?? 0} committed, ${rec.resolved_later?.rolled_back ?? 0} rolled back`,
    );
  return lines;
}

export const bankChecker: Checker = {
  name: "bank",
  description:
    "transfers: no negative balance, money conserved at the final cut, final balances = opening + ok transfers + whole info transfers, nothing left in doubt",
  check: async (history, options) => checkBank(history, options),
  explain: explainBank,
};
