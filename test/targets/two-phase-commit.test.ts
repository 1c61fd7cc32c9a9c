// The two-phase-commit target's Python program (targets/two-phase-commit/), checked without
// Docker: 1 coordinator (n1) and 3 participants run as real processes, and the test is their
// network (process-net.ts): it drops, partitions, kills and restarts them with their data
// directories kept. Every assertion is on what the contract (docs/atomic-commit.md) lets a
// client see: the coordinator's txn_ok replies and every node's txn_states transitions.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { twoPhaseCommit } from "../../targets/two-phase-commit/index.ts";
import { ProcessNet, eventually, sleep, type Body, type Msg } from "./process-net.ts";

const program = fileURLToPath(new URL("../../targets/two-phase-commit/main.py", import.meta.url));
const PARTICIPANTS = ["n2", "n3", "n4"];

type Transition = [string, number];
interface States {
  role: string;
  now: number;
  txns: Record<string, Transition[]>;
}

const nets: ProcessNet[] = [];
after(async () => {
  await Promise.all(nets.map((n) => n.stop()));
});

async function cluster(variant?: string, seed = 1): Promise<ProcessNet> {
  const net = new ProcessNet({
    ids: ["n1", ...PARTICIPANTS],
    command: "python3",
    args: ["-u", program, ...(variant ? ["--variant", variant] : [])],
    env: { PYTHONDONTWRITEBYTECODE: "1" }, // no __pycache__ in the source folder
    seed,
    label: "2pc",
  });
  nets.push(net);
  await net.startAll();
  return net;
}

/** Run one transaction through the coordinator; the reply body, or undefined (timeout). */
async function txn(
  net: ProcessNet,
  id: string,
  votes: Record<string, boolean>,
  timeoutMs = 2000,
): Promise<Body | undefined> {
  const reply = await net.request("n1", `c-${id}`, { type: "txn", txn: id, votes }, timeoutMs);
  if (reply) assert.equal(reply.src, "n1", "the coordinator answers");
  return reply?.body;
}

async function states(net: ProcessNet, node: string): Promise<States> {
  const body = await net.call(node, "c-states", { type: "txn_states" });
  assert.equal(body.type, "txn_states_ok", `${node} answers txn_states: ${JSON.stringify(body)}`);
  return body as unknown as States;
}

/** The states a node went through for a transaction, as "INIT>READY>COMMIT" ("" if unknown). */
async function walk(net: ProcessNet, node: string, id: string): Promise<string> {
  return ((await states(net, node)).txns[id] ?? []).map(([s]) => s).join(">");
}

/** Poll until every node's walk for `id` is the expected one; assert with the last seen. */
async function expectWalks(
  net: ProcessNet,
  id: string,
  expected: Record<string, string>,
  ms = 5000,
): Promise<void> {
  const seen: Record<string, string> = {};
  await eventually(async () => {
    for (const node of Object.keys(expected)) seen[node] = await walk(net, node, id);
    return Object.keys(expected).every((n) => seen[n] === expected[n]);
  }, ms);
  assert.deepEqual(seen, expected, `transitions of ${id}`);
}

/** A tap that kills `node` right after it sends the message `match` picks (that message is
 *  delivered, nothing it writes after it is). */
function killAfter(net: ProcessNet, node: string, match: (m: Msg) => boolean): void {
  const untap = net.tap((m) => {
    if (m.src === node && match(m)) {
      untap();
      void net.kill(node);
    }
  });
}

const allTrue = { n2: true, n3: true, n4: true };

describe(
  "two-phase-commit target (real Python processes, the test as the network)",
  {
    concurrency: 3,
  },
  () => {
    test("the target: coordinator is the first node, 4 nodes, atomic-commit, three variants", async () => {
      assert.equal(twoPhaseCommit.defaultNodes, 4);
      assert.deepEqual(twoPhaseCommit.workloads, ["atomic-commit"]);
      assert.deepEqual(Object.keys(twoPhaseCommit.variants).sort(), [
        "abort-on-timeout",
        "no-decision-log",
        "vote-not-logged",
      ]);
      const spec = await twoPhaseCommit.clusterSpec({ nodes: 4, variant: "vote-not-logged" });
      assert.deepEqual((spec.command ?? []).slice(-4), [
        "-u",
        "/opt/faultline/two-phase-commit/main.py",
        "--variant",
        "vote-not-logged",
      ]);
      const shipped = (spec.files ?? []).map((f) => f.path).filter((p) => p.endsWith(".py"));
      assert.equal(shipped.length, 5);
      await assert.rejects(twoPhaseCommit.clusterSpec({ nodes: 4, variant: "nope" }), /no variant/);
      await assert.rejects(twoPhaseCommit.clusterSpec({ nodes: 1 }), /at least one participant/);
      const fakeCluster = { nodes: [{ name: "n1" }, { name: "n2" }] } as never;
      assert.equal(await twoPhaseCommit.leader!(fakeCluster), "n1");
    });

    test("no faults: all-true votes commit, any false vote aborts, every node reports consistent transitions that survive restarts", async () => {
      const net = await cluster();
      const started = Date.now();
      const cases: [string, Record<string, boolean>][] = [
        ["t1", allTrue],
        ["t2", { n2: true, n3: false }],
        ["t3", { n4: true }],
        ["t4", { n3: false }],
        ["t5", { n2: true, n3: true, n4: false }],
      ];
      // And a batch of concurrent ones: every subset of participants, both outcomes.
      for (let i = 6; i <= 30; i++) {
        const votes: Record<string, boolean> = {};
        PARTICIPANTS.forEach((p, k) => {
          if ((i >> k) & 1 || k === i % 3) votes[p] = i % 7 !== k;
        });
        cases.push([`t${i}`, votes]);
      }
      const replies = await Promise.all(cases.map(([id, votes]) => txn(net, id, votes)));
      const decision = (votes: Record<string, boolean>) =>
        Object.values(votes).every(Boolean) ? "commit" : "abort";
      cases.forEach(([id, votes], i) => {
        assert.deepEqual(
          { type: replies[i]?.type, txn: replies[i]?.txn, decision: replies[i]?.decision },
          { type: "txn_ok", txn: id, decision: decision(votes) },
          `reply to ${id} ${JSON.stringify(votes)}`,
        );
      });
      assert.ok(cases.some(([, v]) => decision(v) === "commit"));
      assert.ok(cases.some(([, v]) => decision(v) === "abort"));

      // Every node: the coordinator WAIT then the decision; a participant INIT, READY if it
      // could commit, then the decision; a node outside the transaction does not know it.
      const expected = (node: string, votes: Record<string, boolean>): string => {
        const d = decision(votes).toUpperCase();
        if (node === "n1") return `WAIT>${d}`;
        if (!(node in votes)) return "";
        return votes[node] ? `INIT>READY>${d}` : "INIT>ABORT";
      };
      const all = async (): Promise<Record<string, States>> => {
        const out: Record<string, States> = {};
        for (const node of net.ids) out[node] = await states(net, node);
        return out;
      };
      let before: Record<string, States> = {};
      const settled = await eventually(async () => {
        before = await all();
        return cases.every(([id, votes]) =>
          net.ids.every(
            (n) => (before[n]!.txns[id] ?? []).map(([s]) => s).join(">") === expected(n, votes),
          ),
        );
      }, 5000);
      for (const [id, votes] of cases) {
        for (const n of net.ids) {
          const got = (before[n]!.txns[id] ?? []).map(([s]) => s).join(">");
          assert.equal(got, expected(n, votes), `${n}'s transitions of ${id}`);
        }
      }
      assert.ok(settled);
      for (const n of net.ids) {
        const s = before[n]!;
        assert.equal(s.role, n === "n1" ? "coordinator" : "participant");
        assert.ok(Math.abs(s.now - Date.now()) < 5000, `${n}'s now is a wall clock in ms`);
        for (const [id, ts] of Object.entries(s.txns)) {
          const times = ts.map(([, t]) => t);
          assert.ok(
            times.every(
              (t, i) => t >= started - 1000 && t <= s.now && (i === 0 || t >= times[i - 1]!),
            ),
            `${n}'s times of ${id} are in order, in ms: ${JSON.stringify(ts)}`,
          );
        }
      }

      // Restart every node: each reports the same transitions, recovered from its log.
      for (const n of net.ids) await net.kill(n);
      await net.startAll();
      const afterRestart = await all();
      for (const n of net.ids) {
        assert.deepEqual(afterRestart[n]!.txns, before[n]!.txns, `${n} after a restart`);
      }
      // And it still works.
      assert.equal((await txn(net, "t99", allTrue))?.decision, "commit");
      net.assertNoCrash();
    });

    test("lossy network (30% of messages lost): every node agrees with the coordinator, which commits only all-true transactions", async () => {
      const net = await cluster(undefined, 42);
      net.dropRate = 0.3;
      const cases: [string, Record<string, boolean>][] = [];
      for (let i = 1; i <= 24; i++) {
        const votes: Record<string, boolean> = {};
        PARTICIPANTS.forEach((p, k) => {
          if ((i + k) % 3 !== 0 || k === 0) votes[p] = (i + 2 * k) % 9 !== 0;
        });
        cases.push([`t${i}`, votes]);
      }
      const replies = await Promise.all(cases.map(([id, votes]) => txn(net, id, votes, 1000)));
      await sleep(500);
      net.dropRate = 0;
      const final: Record<string, Record<string, string>> = {};
      const done = await eventually(async () => {
        for (const n of net.ids) {
          const s = await states(net, n);
          final[n] = Object.fromEntries(
            Object.entries(s.txns).map(([id, ts]) => [id, ts[ts.length - 1]![0]]),
          );
        }
        return cases.every(([id, votes]) =>
          Object.keys(votes).every((p) => ["COMMIT", "ABORT"].includes(final[p]![id] ?? "")),
        );
      }, 10_000);
      assert.ok(done, `not every participant decided: ${JSON.stringify(final)}`);
      let commits = 0;
      cases.forEach(([id, votes], i) => {
        const d = final.n1![id];
        assert.ok(d === "COMMIT" || d === "ABORT", `the coordinator decided ${id}`);
        if (d === "COMMIT") commits++;
        if (d === "COMMIT")
          assert.ok(Object.values(votes).every(Boolean), `${id} had a false vote`);
        for (const p of Object.keys(votes)) assert.equal(final[p]![id], d, `${p} agrees on ${id}`);
        if (replies[i]) assert.equal(replies[i]!.decision, d.toLowerCase(), `the client's ${id}`);
      });
      assert.ok(commits > 0, "nothing committed");
      assert.ok((net.dropped.get("vote_request") ?? 0) > 0, "the test lost no message");
      net.assertNoCrash();
    });

    test("coordinator killed after sending its VOTE-REQUESTs: the READY participants block while it is down, then follow its ABORT", async () => {
      const net = await cluster();
      let sent = 0;
      killAfter(net, "n1", (m) => m.body.type === "vote_request" && ++sent === 3);
      assert.equal(await txn(net, "t1", allTrue, 1500), undefined, "no answer: it died");
      assert.equal(net.isUp("n1"), false);
      await expectWalks(net, "t1", { n2: "INIT>READY", n3: "INIT>READY", n4: "INIT>READY" });
      // Blocking: they ask each other (NEED_DECISION) and all are READY; none may decide.
      await sleep(2500);
      await expectWalks(net, "t1", { n2: "INIT>READY", n3: "INIT>READY", n4: "INIT>READY" }, 0);
      // Restarted, the coordinator finds WAIT in its log: it aborts, and everyone follows.
      await net.start("n1");
      await expectWalks(net, "t1", {
        n1: "WAIT>ABORT",
        n2: "INIT>READY>ABORT",
        n3: "INIT>READY>ABORT",
        n4: "INIT>READY>ABORT",
      });
      assert.equal((await txn(net, "t2", allTrue))?.decision, "commit");
      await expectWalks(net, "t2", { n2: "INIT>READY>COMMIT", n4: "INIT>READY>COMMIT" });
      net.assertNoCrash();
    });

    test("coordinator killed before one participant got its VOTE-REQUEST: that one, asked while INIT, aborts, and the READY ones learn ABORT from it while the coordinator is down", async () => {
      const net = await cluster();
      killAfter(net, "n1", (m) => m.body.type === "vote_request" && m.dest === "n3");
      // n4's request is never sent: n1 died after n3's.
      assert.equal(await txn(net, "t1", allTrue, 1000), undefined);
      await expectWalks(net, "t1", {
        n2: "INIT>READY>ABORT",
        n3: "INIT>READY>ABORT",
        n4: "INIT>ABORT",
      });
      await net.start("n1");
      await expectWalks(net, "t1", { n1: "WAIT>ABORT" });
      net.assertNoCrash();
    });

    test("participant cut from the coordinator after voting, while the others learned COMMIT: it learns COMMIT from them (NEED_DECISION)", async () => {
      const net = await cluster();
      const untap = net.tap((m) => {
        if (m.src === "n4" && m.body.type === "vote_commit") {
          untap();
          net.partition(["n1"], ["n4"]); // this vote still gets through; nothing after it
        }
      });
      assert.equal((await txn(net, "t1", allTrue))?.decision, "commit");
      await expectWalks(net, "t1", {
        n1: "WAIT>COMMIT",
        n2: "INIT>READY>COMMIT",
        n3: "INIT>READY>COMMIT",
        n4: "INIT>READY>COMMIT",
      });
      assert.ok(net.isCut("n1", "n4") && net.isCut("n4", "n1"), "n4 was cut all along");
      const [, ready, commit] = (await states(net, "n4")).txns.t1!;
      assert.ok(
        commit![1] - ready![1] >= 400,
        `n4 decided after its READY timeout, not from the coordinator: ${commit![1] - ready![1]} ms`,
      );
      net.heal();
      net.assertNoCrash();
    });

    test("correct program, a READY participant cut from everyone: it stays READY (blocks), and commits once healed", async () => {
      const net = await cluster();
      const untap = net.tap((m) => {
        if (m.src === "n4" && m.body.type === "vote_commit") {
          untap();
          net.isolate("n4");
        }
      });
      assert.equal((await txn(net, "t1", allTrue))?.decision, "commit");
      await expectWalks(net, "t1", { n2: "INIT>READY>COMMIT", n3: "INIT>READY>COMMIT" });
      await sleep(1500);
      assert.equal(await walk(net, "n4", "t1"), "INIT>READY");
      net.heal();
      await expectWalks(net, "t1", { n4: "INIT>READY>COMMIT" });
      net.assertNoCrash();
    });

    test("variant abort-on-timeout: a READY participant cut from everyone aborts on its own while the rest commit", async () => {
      const net = await cluster("abort-on-timeout");
      const untap = net.tap((m) => {
        if (m.src === "n4" && m.body.type === "vote_commit") {
          untap();
          net.isolate("n4");
        }
      });
      assert.equal((await txn(net, "t1", allTrue))?.decision, "commit");
      await expectWalks(net, "t1", {
        n1: "WAIT>COMMIT",
        n2: "INIT>READY>COMMIT",
        n3: "INIT>READY>COMMIT",
        n4: "INIT>READY>ABORT",
      });
      // Healed, it keeps its abort: the disagreement stays.
      net.heal();
      await sleep(1000);
      assert.equal(await walk(net, "n4", "t1"), "INIT>READY>ABORT");
    });

    for (const variant of [undefined, "no-decision-log"]) {
      const name = variant ? `variant ${variant}` : "correct program";
      const rest = variant ? "ABORT" : "COMMIT";
      test(`${name}: coordinator killed right after sending COMMIT to one participant: after its restart the rest ${rest === "COMMIT" ? "commit" : "abort (it forgot its decision)"}`, async () => {
        const net = await cluster(variant);
        // n3 and n4 cannot ask n2 (which gets the COMMIT): only the coordinator can tell them.
        net.partition(["n2"], ["n3", "n4"]);
        killAfter(net, "n1", (m) => m.body.type === "global_commit");
        assert.equal(await txn(net, "t1", allTrue, 1000), undefined, "no answer: it died");
        await expectWalks(net, "t1", {
          n2: "INIT>READY>COMMIT",
          n3: "INIT>READY",
          n4: "INIT>READY",
        });
        await net.start("n1");
        await expectWalks(net, "t1", {
          n1: `WAIT>${rest}`,
          n2: "INIT>READY>COMMIT",
          n3: `INIT>READY>${rest}`,
          n4: `INIT>READY>${rest}`,
        });
        if (!variant) net.assertNoCrash();
      });
    }

    for (const variant of [undefined, "vote-not-logged"]) {
      const name = variant ? `variant ${variant}` : "correct program";
      test(`${name}: a participant killed right after voting commit, restarted: ${variant ? "it aborts and answers NEED_DECISION with ABORT while the others commit" : "it recovers READY and commits"}`, async () => {
        const net = await cluster(variant);
        killAfter(net, "n4", (m) => m.body.type === "vote_commit");
        assert.equal((await txn(net, "t1", allTrue))?.decision, "commit");
        await expectWalks(net, "t1", { n2: "INIT>READY>COMMIT", n3: "INIT>READY>COMMIT" });
        await net.start("n4");
        // A peer asks it (as n3 would if it were still READY): what does it answer?
        const answers: Body[] = [];
        net.tap((m) => {
          if (m.src === "n4" && m.dest === "n3" && m.body.type === "decision_state")
            answers.push(m.body);
        });
        net.inject({ src: "n3", dest: "n4", body: { type: "need_decision", txn: "t1" } });
        if (variant) {
          await expectWalks(net, "t1", { n1: "WAIT>COMMIT", n4: "INIT>ABORT" });
          await sleep(1000); // the coordinator sends COMMIT again meanwhile: it keeps ABORT
          assert.equal(await walk(net, "n4", "t1"), "INIT>ABORT");
          assert.deepEqual(answers[0], { type: "decision_state", txn: "t1", state: "ABORT" });
        } else {
          await expectWalks(net, "t1", { n1: "WAIT>COMMIT", n4: "INIT>READY>COMMIT" });
          assert.ok(answers.length > 0, "n4 answered");
          assert.ok(["READY", "COMMIT"].includes(String(answers[0]!.state)));
          net.assertNoCrash();
        }
      });
    }
  },
);
