// The bank checker (transfer workload) on hand-made histories: valid, money created, money
// destroyed, a negative balance, an info transfer applied on one side only, and the search
// over transfers of unknown outcome (checkers/bank/solve.ts) against random runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { bankChecker, checkBank, type BankResult } from "../../checkers/bank/index.ts";
import { solveResiduals } from "../../checkers/bank/solve.ts";
import type { Op } from "../../histories/op.ts";

const NODES = ["n2", "n3"];
const ACCOUNTS = 2; // n2/0, n2/1, n3/0, n3/1
const INITIAL = 100;

type Outcome = "ok" | "fail" | "info";

/** A history builder: each op is invoked and completed at once, on a fresh process. */
class Bank {
  ops: Op[] = [];
  private process = 0;
  private push(op: Omit<Op, "index" | "time">) {
    this.ops.push({ index: this.ops.length, time: this.ops.length * 1000, ...op } as Op);
  }
  transfer(id: string, from: string, to: string, amount: number, outcome: Outcome) {
    const p = this.process++;
    const [fn, fa] = from.split("/");
    const [tn, ta] = to.split("/");
    const value = {
      id,
      from: { node: fn, account: Number(fa) },
      to: { node: tn, account: Number(ta) },
      amount,
    };
    this.push({ process: p, type: "invoke", f: "transfer", node: "n1", value });
    const done: Omit<Op, "index" | "time"> = {
      process: p,
      type: outcome,
      f: "transfer",
      node: "n1",
      value,
    };
    if (outcome !== "ok") done.error = outcome === "fail" ? { code: 14 } : "timeout";
    this.push(done);
  }
  /** A read of one node: balances by account number. */
  read(node: string, balances: number[], opts: { final?: boolean; inDoubt?: string[] } = {}) {
    const p = this.process++;
    const extra = opts.final ? { final: true } : {};
    this.push({ process: p, type: "invoke", f: "balances", node, ...extra });
    const value = {
      balances: Object.fromEntries(balances.map((b, i) => [String(i), b])),
      in_doubt: opts.inDoubt ?? [],
    };
    this.push({ process: p, type: "ok", f: "balances", node, value, ...extra });
  }
  /** Final reads of every node from a map of account -> balance (others at INITIAL). */
  finals(balances: Record<string, number>, inDoubt: Record<string, string[]> = {}) {
    for (const node of NODES) {
      const row = Array.from({ length: ACCOUNTS }, (_, i) => balances[`${node}/${i}`] ?? INITIAL);
      this.read(node, row, { final: true, inDoubt: inDoubt[node] });
    }
  }
}

const check = (b: Bank) =>
  checkBank(b.ops, { nodes: NODES, accounts: ACCOUNTS, initial: INITIAL }) as BankResult;

test("ok and fail transfers, info transfers whole or not at all: valid", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/0", 30, "ok");
  b.transfer("t2", "n3/1", "n2/1", 500, "fail"); // would overdraw: aborted
  b.transfer("t3", "n2/1", "n2/0", 10, "info"); // applied
  b.transfer("t4", "n3/0", "n2/1", 25, "info"); // not applied
  b.read("n2", [80, 90]); // during the run: t1 and t3 visible
  b.finals({ "n2/0": 80, "n2/1": 90, "n3/0": 130, "n3/1": 100 });
  const r = check(b);
  assert.equal(r.valid, true, r.reason);
  assert.deepEqual(r.transfers, { ok: 1, fail: 1, info: 2 });
  assert.equal(r.finalTotal, 400);
  assert.equal(r.atomicity.status, "explained");
  assert.equal(r.atomicity.infoApplied, 1);
  assert.match(bankChecker.explain(r).join("\n"), /1 of 2 info transfers applied/);
});

test("money created: the final total is above the opening total, and the account is named", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/0", 30, "ok");
  // n3/0 got the credit twice (say, a commit replayed): +30 from nowhere.
  b.finals({ "n2/0": 70, "n3/0": 160 });
  const r = check(b);
  assert.equal(r.valid, false);
  assert.match(r.reason!, /money created: the final balances total 430, the opening total is 400/);
  assert.deepEqual(
    r.atomicity.untouched.map((u) => [u.account, u.residual, u.okTransfers]),
    [["n3/0", 30, ["t1"]]],
  );
  const text = bankChecker.explain(r).join("\n");
  assert.match(text, /money created \(\+30\)/);
  assert.match(text, /n3\/0: final 160, but the opening balance and its ok transfers give 130/);
});

test("money destroyed: an info transfer debited but never credited is named", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/1", 20, "ok");
  b.transfer("t2", "n2/1", "n3/0", 40, "info");
  b.transfer("t3", "n3/1", "n2/0", 5, "info");
  // t1 whole, t3 not at all, t2 debited on n2/1 only (n3/0 rolled back).
  b.finals({ "n2/0": 80, "n2/1": 60, "n3/0": 100, "n3/1": 120 });
  const r = check(b);
  assert.equal(r.valid, false);
  assert.match(r.reason!, /money destroyed/);
  assert.equal(r.atomicity.status, "violated");
  const partial = r.atomicity.unbalanced.flatMap((c) => c.partial);
  assert.deepEqual(
    partial.map((h) => [h.id, h.applied]),
    [["t2", "debit"]],
  );
  assert.match(
    bankChecker.explain(r).join("\n"),
    /transfer t2 \(n2\/1 -> n3\/0, 40\), of unknown outcome, would explain it if applied on one side only: debited from n2\/1, never credited to n3\/0/,
  );
});

test("a negative balance in any read is a violation naming the account and the read", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/0", 60, "info");
  b.transfer("t2", "n2/0", "n3/1", 60, "info");
  // Both debits applied: the overdraft check was skipped.
  b.read("n2", [-20, 100]);
  b.finals({ "n2/0": -20, "n3/0": 160, "n3/1": 160 });
  const r = check(b);
  assert.equal(r.valid, false);
  assert.equal(r.negativeCount, 2); // the read during the run and the final one
  assert.deepEqual([r.negative[0]!.account, r.negative[0]!.balance], ["n2/0", -20]);
  assert.match(r.reason!, /2 negative balances read/);
  // The money itself is conserved and whole: only the overdraft is wrong.
  assert.equal(r.finalTotal, 400);
  assert.equal(r.atomicity.status, "explained");
});

test("an info transfer partly applied is caught even when the total is conserved", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/0", 30, "info"); // debited only
  b.transfer("t2", "n2/1", "n3/1", 30, "info"); // credited only
  b.finals({ "n2/0": 70, "n3/1": 130 });
  const r = check(b);
  assert.equal(r.finalTotal, 400); // conservation holds...
  assert.equal(r.valid, false); // ...atomicity does not
  assert.equal(r.atomicity.status, "violated");
  const named = r.atomicity.unbalanced.flatMap((c) => c.partial.map((h) => `${h.id}:${h.applied}`));
  assert.deepEqual(named.sort(), ["t1:debit", "t2:credit"]);
});

test("no choice of whole transfers: two info transfers between one pair cannot give 15", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/0", 10, "info");
  b.transfer("t2", "n2/0", "n3/0", 20, "info");
  b.finals({ "n2/0": 85, "n3/0": 115 });
  const r = check(b);
  assert.equal(r.valid, false);
  assert.equal(r.atomicity.unsolvable.length, 1);
  assert.deepEqual(r.atomicity.unsolvable[0]!.transfers.sort(), ["t1", "t2"]);
  // 10, 20 or 30 moved would have been fine.
  const ok = new Bank();
  ok.transfer("t1", "n2/0", "n3/0", 10, "info");
  ok.transfer("t2", "n2/0", "n3/0", 20, "info");
  ok.finals({ "n2/0": 70, "n3/0": 130 });
  assert.equal(check(ok).valid, true);
});

test("a balance no set of invoked transfers allows, before the end, is impossible", () => {
  const b = new Bank();
  b.read("n3", [100, 150]); // nothing was invoked yet
  b.transfer("t1", "n2/0", "n3/1", 50, "ok");
  b.finals({ "n2/0": 50, "n3/1": 150 });
  const r = check(b);
  assert.equal(r.valid, false);
  assert.equal(r.impossibleCount, 1);
  assert.deepEqual(
    [r.impossible[0]!.account, r.impossible[0]!.lower, r.impossible[0]!.upper],
    ["n3/1", 100, 100],
  );
});

test("a prepared transaction still in doubt at a final read is a termination violation", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/0", 10, "info");
  b.finals({}, { n3: ["fl_t1"] });
  const r = check(b);
  assert.equal(r.valid, false);
  assert.deepEqual(
    r.inDoubt.map((d) => [d.node, d.gids]),
    [["n3", ["fl_t1"]]],
  );
  assert.match(bankChecker.explain(r).join("\n"), /n3 still held fl_t1 prepared/);
});

test("a participant without a final read leaves the verdict unknown", () => {
  const b = new Bank();
  b.transfer("t1", "n2/0", "n3/0", 10, "ok");
  b.read("n2", [90, 100], { final: true });
  const r = check(b);
  assert.equal(r.valid, "unknown");
  assert.deepEqual(r.nodesWithoutFinalRead, ["n3"]);
});

test("random runs: whatever whole subset of info transfers applied, the checker finds one", () => {
  const accounts = ["a", "b", "c", "d", "e", "f", "g", "h"];
  const arb = fc.array(
    fc.record({
      from: fc.integer({ min: 0, max: 7 }),
      to: fc.integer({ min: 0, max: 7 }),
      amount: fc.integer({ min: 1, max: 60 }),
      applied: fc.boolean(),
    }),
    { minLength: 1, maxLength: 60 },
  );
  fc.assert(
    fc.property(arb, (list) => {
      const residual = new Map(accounts.map((a) => [a, 0]));
      const edges = list
        .filter((t) => t.from !== t.to)
        .map((t, i) => ({
          id: `t${i}`,
          from: accounts[t.from]!,
          to: accounts[t.to]!,
          amount: t.amount,
          applied: t.applied,
        }));
      for (const e of edges)
        if (e.applied) {
          residual.set(e.from, residual.get(e.from)! - e.amount);
          residual.set(e.to, residual.get(e.to)! + e.amount);
        }
      const r = solveResiduals(residual, edges);
      assert.equal(r.status, "explained");
      // The subset found moves exactly the residuals.
      const moved = new Map(accounts.map((a) => [a, 0]));
      const byId = new Map(edges.map((e) => [e.id, e]));
      for (const id of r.applied) {
        const e = byId.get(id)!;
        moved.set(e.from, moved.get(e.from)! - e.amount);
        moved.set(e.to, moved.get(e.to)! + e.amount);
      }
      assert.deepEqual(moved, residual);
      // And one unit of money from nowhere on one account is always caught.
      residual.set("a", residual.get("a")! + 1);
      assert.equal(solveResiduals(residual, edges).status, "violated");
    }),
    { numRuns: 200, seed: 7 },
  );
});
