// PBFT's rules [B1]-[B11] checked on a deterministic simulated network (no Docker): the real
// replica code, seeded delays, drops, partitions, crashes and restarts with the replica's
// "disk" kept, and a tampering host. Judges: every nonfaulty replica executes the same
// requests in the same order (the harness's replica-agreement checker), and the clients'
// history is linearizable (the harness's linearizability checker, kv model).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import { checkReplicaAgreement } from "../../checkers/replica-agreement/index.ts";
import type { Op } from "../../histories/op.ts";
import { ERRORS, errorKind } from "../../targets/host/errors.ts";
import { MemoryStorage } from "../../targets/lib/durable.ts";
import type { Body, Message } from "../../targets/lib/node.ts";
import { hmacSigner, ed25519Signer } from "../../targets/pbft/crypto.ts";
import { DEFAULT_OPTIONS, Pbft } from "../../targets/pbft/pbft.ts";
import type { Variant } from "../../targets/pbft/variants.ts";
import { SimNetwork, seededRandom } from "./sim-network.ts";

const IDS4 = ["n1", "n2", "n3", "n4"];

/** A host that changes what one replica sends (a traitor's host): the mutation applies to
 *  every node-to-node message from `traitor`. */
type Tamper = (msg: Message) => Message | undefined;

class SimCluster {
  readonly net: SimNetwork;
  readonly disks = new Map<string, MemoryStorage>();
  readonly replicas = new Map<string, Pbft>();
  private nextMsg = 1;

  constructor(
    seed: number,
    readonly variant: Variant = "correct",
    readonly ids = IDS4,
    dropRate = 0,
    readonly signer: "hmac" | "ed25519" = "hmac",
    tamper?: { traitor: string; change: Tamper },
  ) {
    this.net = new SimNetwork(ids, { seed, dropRate });
    if (tamper) {
      const send = this.net.send.bind(this.net);
      this.net.send = (msg: Message) => {
        if (msg.src !== tamper.traitor || !ids.includes(msg.dest)) return send(msg);
        const changed = tamper.change(JSON.parse(JSON.stringify(msg)) as Message);
        if (changed) send(changed);
      };
    }
    for (const id of ids) {
      this.disks.set(id, new MemoryStorage());
      this.start(id);
    }
  }

  start(id: string): void {
    this.net.start(id, (node) => {
      const storage = this.disks.get(id)!;
      this.replicas.set(
        id,
        new Pbft(node, {
          ...DEFAULT_OPTIONS,
          variant: this.variant,
          storage,
          signer: (self, ids) =>
            this.signer === "hmac" ? hmacSigner("sim", self) : ed25519Signer("sim", self, ids),
        }),
      );
    });
  }

  crash(id: string): void {
    this.net.crash(id);
    this.replicas.delete(id);
  }

  run(ms: number): void {
    this.net.run(ms);
  }

  primary(): string | undefined {
    let best: Pbft | undefined;
    for (const r of this.replicas.values())
      if (r.isPrimary && (!best || r.view > best.view)) best = r;
    return best?.node.id;
  }

  /** Send a client request and run until its reply arrives (or `ms` pass). */
  request(dest: string, body: Omit<Body, "msg_id">, ms = 3000): Body | undefined {
    const msgId = this.nextMsg++;
    this.net.clientRequest("c1", dest, { ...body, msg_id: msgId } as Body);
    const until = this.net.now + ms;
    while (this.net.now < until) {
      this.run(10);
      const reply = this.net.clientInbox.find((m) => m.body.in_reply_to === msgId);
      if (reply) return reply.body;
    }
    return undefined;
  }

  logs(ids = this.ids): string[][] {
    return ids.map((id) => this.replicas.get(id)?.executedLog ?? []);
  }
}

/** Every replica's log is a prefix of the longest one. */
function assertPrefixes(logs: string[][]): void {
  const longest = logs.reduce((a, b) => (b.length > a.length ? b : a), []);
  for (const log of logs) assert.deepEqual(log, longest.slice(0, log.length));
}

test("[B3]-[B6] normal case: 4 replicas order writes, reads and cas sent to any replica, one log", () => {
  const c = new SimCluster(1);
  c.run(100);
  assert.equal(c.primary(), "n1");
  assert.equal(c.request("n1", { type: "write", key: "k", value: 1 })?.type, "write_ok");
  assert.equal(c.request("n2", { type: "read", key: "k" })?.value, 1);
  assert.equal(c.request("n3", { type: "cas", key: "k", from: 1, to: 2 })?.type, "cas_ok");
  assert.equal(c.request("n4", { type: "cas", key: "k", from: 1, to: 3 })?.code, 22);
  assert.equal(c.request("n2", { type: "read", key: "missing" })?.code, 20);
  c.run(500);
  const logs = c.logs();
  assert.equal(logs[0]!.length, 5);
  for (const log of logs) assert.deepEqual(log, logs[0]);
  assert.match(logs[0]![0]!, /^n1:\w+:1 write k 1$/);
});
