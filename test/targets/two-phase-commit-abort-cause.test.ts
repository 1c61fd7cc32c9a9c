// The two-phase-commit coordinator says why it aborted (`aborts` in its txn_states reply,
// docs/atomic-commit.md): at its vote timeout (with the missing votes and its timeout), on a
// participant's vote_abort, or on a restart that found the transaction in WAIT; the cause is
// journaled, so it survives a restart. Real Python processes, the test as the network.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ProcessNet, eventually, type Body } from "./process-net.ts";

const program = fileURLToPath(new URL("../../targets/two-phase-commit/main.py", import.meta.url));

interface States {
  role: string;
  txns: Record<string, [string, number][]>;
  aborts?: Record<string, Record<string, unknown>>;
}

const nets: ProcessNet[] = [];
after(async () => {
  await Promise.all(nets.map((n) => n.stop()));
});

async function cluster(): Promise<ProcessNet> {
  const net = new ProcessNet({
    ids: ["n1", "n2", "n3", "n4"],
    command: "python3",
    args: ["-u", program],
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    seed: 1,
    label: "2pc-cause",
  });
  nets.push(net);
  await net.startAll();
  return net;
}

async function txn(net: ProcessNet, id: string, votes: Record<string, boolean>, ms = 2000) {
  const reply = await net.request("n1", `c-${id}`, { type: "txn", txn: id, votes }, ms);
  return reply?.body as Body | undefined;
}

async function coordinatorStates(net: ProcessNet): Promise<States> {
  return (await net.call("n1", "c-states", { type: "txn_states" })) as unknown as States;
}

describe("two-phase-commit coordinator: why it aborted", { concurrency: 2 }, () => {
  test("a vote held past the timeout: cause timeout, the missing voter, 500 ms, after a WAIT that long; a vote_abort: its voter; a commit: nothing; all kept across a restart", async () => {
    const net = await cluster();
    // n3's votes on t1 never arrive (sent, lost on the way: what a stalled machine looks like).
    net.tap((m) =>
      m.src === "n3" && m.body.type === "vote_commit" && m.body.txn === "t1" ? "drop" : undefined,
    );
    assert.equal((await txn(net, "t1", { n2: true, n3: true }))?.decision, "abort");
    assert.equal((await txn(net, "t2", { n2: true, n4: false }))?.decision, "abort");
    assert.equal((await txn(net, "t3", { n2: true, n4: true }))?.decision, "commit");
    const s = await coordinatorStates(net);
    assert.deepEqual(s.aborts, {
      t1: { cause: "timeout", missing: ["n3"], timeoutMs: 500 },
      t2: { cause: "vote-abort", from: "n4" },
    });
    const [[w, waitMs], [a, abortMs]] = s.txns.t1!;
    assert.deepEqual([w, a], ["WAIT", "ABORT"]);
    assert.ok(abortMs - waitMs >= 500, `WAIT lasted the timeout: ${abortMs - waitMs} ms`);
    // The participants report no `aborts`: only the coordinator decides for the transaction.
    const p = (await net.call("n3", "c-states", { type: "txn_states" })) as unknown as States;
    assert.equal(p.aborts, undefined);

    await net.kill("n1");
    await net.start("n1");
    assert.deepEqual(
      (await coordinatorStates(net)).aborts,
      s.aborts,
      "journaled with the decision",
    );
    net.assertNoCrash();
  });

  test("killed in WAIT and restarted: cause recovered", async () => {
    const net = await cluster();
    let sent = 0;
    const untap = net.tap((m) => {
      if (m.src === "n1" && m.body.type === "vote_request" && ++sent === 2) {
        untap();
        void net.kill("n1");
      }
    });
    assert.equal(await txn(net, "t1", { n2: true, n3: true }, 1000), undefined, "it died in WAIT");
    await net.start("n1");
    let s: States | undefined;
    await eventually(async () => {
      s = await coordinatorStates(net);
      return s.aborts?.t1 !== undefined;
    }, 5000);
    assert.deepEqual(s?.aborts, { t1: { cause: "recovered" } });
    net.assertNoCrash();
  });
});
