// Issue 8's node-host side in real containers (needs a Docker engine and the node image from
// `make setup`; fails saying so otherwise): replies relayed to the host holding the client,
// cut by a real partition and never delivered late; Maelstrom's services through the service
// link across a node restart; a program that cannot start fails readiness within seconds,
// with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { EXIT, UserError } from "../../core/errors.ts";
import type { Cluster } from "../../core/runtime.ts";
import { createCluster } from "../../harness/runtime/index.ts";
import { HostConnection, requestOnce } from "../../targets/host/connection.ts";
import type { Body } from "../../targets/host/connection.ts";
import { awaitHostsReady, hostClusterSpec, hostStats } from "../../targets/host/kit.ts";
import { startHostServices } from "../../targets/host/kit.ts";
import { PROGRAM_DIR } from "../../targets/host/ports.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FORWARDER = `${PROGRAM_DIR}/forwarder.cjs`;
const forwarderFile = {
  path: FORWARDER,
  content: readFileSync(new URL("./fixtures/forwarder.cjs", import.meta.url)),
};
const clusterId = (what: string) => `t-${what}-${randomBytes(2).toString("hex")}`;

/** Run `fn` on a fresh labelled cluster, torn down whatever happens. */
async function withCluster(
  what: string,
  nodes: number,
  files: { path: string; content: string | Buffer; mode?: number }[],
  command: string[],
  fn: (cluster: Cluster) => Promise<void>,
): Promise<void> {
  const spec = await hostClusterSpec(files, command);
  const cluster = await createCluster({ nodes, id: clusterId(what), ...spec });
  try {
    await fn(cluster);
  } finally {
    await cluster.teardown();
  }
}

type Stats = Record<string, Record<string, number>>;
const stat = async (cluster: Cluster, node: string, group: string, type: string) =>
  ((await hostStats(cluster, node)) as unknown as Stats)[group][type] ?? 0;

test("forwarded requests are answered by n1 through any node; a partition loses the reply", async () => {
  await withCluster("relay", 3, [forwarderFile], ["node", FORWARDER], async (cluster) => {
    await awaitHostsReady(cluster, 30_000);
    const conn = async (n: string) => HostConnection.connect(cluster.node(n).ip);
    const [c2, c3] = await Promise.all([conn("n2"), conn("n3")]);
    for (const [c, n] of [
      [c2, "n2"],
      [c3, "n3"],
    ] as const) {
      const r = await c.request(n, { type: "echo", echo: n }, 2000);
      assert.equal(typeof r, "object", `request to ${n}: ${r}`);
      assert.deepEqual([(r as Body).type, (r as Body).echo, (r as Body).by], ["echo_ok", n, "n1"]);
    }
    assert.equal(await stat(cluster, "n2", "relay_delivered", "echo_ok"), 1);

    // n2 drops what n1 sends: the request still reaches n1 (n2 -> n1 is open), n1 answers
    // and relays, but the relayed reply is cut on its way to n2's host.
    await cluster.partition({ n2: ["n1"] });
    const relayedBefore = await stat(cluster, "n1", "relayed", "echo_ok");
    assert.equal(await c2.request("n2", { type: "echo", echo: "cut" }, 1500), "timeout");
    assert.equal(await stat(cluster, "n1", "relayed", "echo_ok"), relayedBefore + 1);
    await cluster.healNetwork();
    await sleep(1000);
    // Never delivered late: n2's host wrote no relayed reply after the heal, n3 none at all.
    assert.equal(await stat(cluster, "n2", "relay_delivered", "echo_ok"), 1);
    assert.equal(await stat(cluster, "n3", "relay_delivered", "echo_ok"), 1);
    const again = await c2.request("n2", { type: "echo", echo: "healed" }, 2000);
    assert.equal((again as Body).echo, "healed");
    await Promise.all([c2.close(), c3.close()]);
  });
});

test("a program keeps state in lin-kv across a restart of its node", async () => {
  await withCluster("services", 2, [forwarderFile], ["node", FORWARDER], async (cluster) => {
    const services = await startHostServices(cluster);
    try {
      await awaitHostsReady(cluster, 30_000);
      const kv = async (node: string, request: Body): Promise<Body> => {
        for (let i = 0; ; i++) {
          const r = await requestOnce(
            cluster.node(node).ip,
            node,
            { type: "kv", service: "lin-kv", request },
            2000,
          );
          assert.ok(typeof r !== "string", `kv through ${node}: ${r}`);
          const reply = r.reply as Body;
          // 11 until the link has attached to this host.
          if (reply.code !== 11 || i > 40) return reply;
          await sleep(100);
        }
      };
      assert.deepEqual(await kv("n1", { type: "write", key: "x", value: 7 }), {
        type: "write_ok",
      });
      assert.deepEqual(await kv("n2", { type: "cas", key: "x", from: 7, to: 8 }), {
        type: "cas_ok",
      });
      assert.equal((await kv("n2", { type: "cas", key: "x", from: 7, to: 9 })).code, 22);

      await cluster.kill("n1");
      await cluster.start("n1");
      const restarted = Date.now();
      await awaitHostsReady(cluster, 30_000);
      assert.deepEqual(await kv("n1", { type: "read", key: "x" }), {
        type: "read_ok",
        value: 8,
      });
      console.log(`# lin-kv answered n1 ${Date.now() - restarted} ms after its restart`);
    } finally {
      await services.stop();
    }
  });
});

async function expectStartFailure(
  cluster: Cluster,
  reason: RegExp,
): Promise<{ ms: number; message: string }> {
  const started = Date.now();
  const err = await awaitHostsReady(cluster, 60_000).then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = Date.now() - started;
  assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
  assert.equal(err.exitCode, EXIT.environment);
  assert.match(err.message, reason);
  assert.ok(ms < 10_000, `readiness failed after ${ms} ms, not within 10 s`);
  return { ms, message: err.message };
}

test("a missing interpreter fails readiness within 10 s, naming it", async () => {
  const script = { path: `${PROGRAM_DIR}/node.rb`, content: "puts 1\n", mode: 0o755 };
  await withCluster("noruby", 2, [script], ["ruby", script.path], async (cluster) => {
    const { ms, message } = await expectStartFailure(
      cluster,
      /^n[12]'s program could not start: ruby: not found in the node image \(see its log in the run's logs\/\)$/,
    );
    console.log(`# missing interpreter reported after ${ms} ms`);
    // Whichever node failed first is named; the other may not have logged yet.
    const named = message.slice(0, 2);
    assert.match(await cluster.logs(named), /host: node program cannot start: ruby: not found/);
  });
});

test("a script whose #! interpreter is missing fails readiness with /usr/bin/env's words", async () => {
  const script = {
    path: `${PROGRAM_DIR}/node.rb`,
    content: "#!/usr/bin/env ruby\nputs 1\n",
    mode: 0o755,
  };
  await withCluster("shebang", 1, [script], [script.path], async (cluster) => {
    const { ms } = await expectStartFailure(
      cluster,
      /^n1's program could not start: exited before init_ok \(code 127\): \/usr\/bin\/env: '?ruby'?: No such file or directory/,
    );
    console.log(`# #! interpreter missing reported after ${ms} ms`);
  });
});
