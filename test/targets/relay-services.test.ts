// The node host on localhost (no Docker): a node's message to a client held by another
// node's host is relayed there (once), Maelstrom's services answer programs over the service
// link and keep their state across a restart of the program's host, and a program that
// cannot start makes its host log one line saying why and exit.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { HostConnection, requestOnce } from "../../targets/host/connection.ts";
import type { Body } from "../../targets/host/connection.ts";
import { startServiceLinks } from "../../targets/host/services/link.ts";
import { startFailureIn } from "../../targets/host/start-failure.ts";
import { LocalHosts } from "./local-hosts.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const forwarder = new URL("./fixtures/forwarder.cjs", import.meta.url).pathname;
const all: LocalHosts[] = [];
after(() => all.forEach((h) => h.stopAll()));

type Stats = Record<string, Record<string, number>>;
async function stats(hosts: LocalHosts, node: string): Promise<Stats> {
  const r = await requestOnce(
    "127.0.0.1",
    node,
    { type: "host_stats" },
    500,
    hosts.host(node).clientPort,
  );
  assert.ok(typeof r !== "string", `no host_stats from ${node}: ${r}`);
  return r as unknown as Stats;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

test("a reply to a client of another node is relayed to the host that holds the client", async () => {
  const hosts = new LocalHosts(["n1", "n2", "n3"], 17500, ["node", forwarder]);
  all.push(hosts);
  await Promise.all(["n1", "n2", "n3"].map((n) => hosts.start(n)));
  const conns = await Promise.all(
    ["n1", "n2", "n3"].map((n) => HostConnection.connect("127.0.0.1", hosts.host(n).clientPort)),
  );
  // Each node forwards to n1; n1 answers the client itself, wherever it is connected.
  for (const [i, n] of ["n1", "n2", "n3"].entries()) {
    for (let k = 0; k < 5; k++) {
      const r = await conns[i].request(n, { type: "echo", echo: `${n}-${k}` }, 2000);
      assert.equal(typeof r, "object", `request to ${n} got ${r}`);
      assert.equal((r as Body).type, "echo_ok");
      assert.equal((r as Body).echo, `${n}-${k}`);
      assert.equal((r as Body).by, "n1");
    }
  }
  const [s1, s2, s3] = await Promise.all(["n1", "n2", "n3"].map((n) => stats(hosts, n)));
  // n1 relayed the 10 replies to clients it does not hold; n2 and n3 each delivered their 5.
  assert.equal(s1.relayed.echo_ok, 10);
  assert.equal(s2.relay_delivered.echo_ok, 5);
  assert.equal(s3.relay_delivered.echo_ok, 5);
  // A relayed message is never relayed again: n2 and n3 relayed nothing.
  assert.equal(s2.relayed.echo_ok ?? 0, 0);
  assert.equal(s3.relayed.echo_ok ?? 0, 0);
  // The relay is plumbing, not the program's node-to-node traffic.
  assert.equal(s1.sent.echo_ok ?? 0, 0);
  assert.equal(s1.client_out.echo_ok, 5, "n1's own client");

  // A reply for a client that no host holds any more is dropped by all, and does not loop.
  const gone = await HostConnection.connect("127.0.0.1", hosts.host("n2").clientPort);
  const lost = gone.request("n2", { type: "echo", echo: "late" }, 1000);
  await gone.close();
  assert.equal(await lost, "connection-lost");
  await sleep(300);
  const after = await Promise.all(["n1", "n2", "n3"].map((n) => stats(hosts, n)));
  assert.ok((after[0].relayed.echo_ok ?? 0) <= 11);
  assert.equal(after[1].relay_delivered.echo_ok, 5);
  assert.equal(after[2].relay_delivered.echo_ok, 5);

  // n1 down: the forwarded request goes nowhere and the client times out.
  hosts.kill("n1");
  await sleep(100);
  assert.equal(await conns[1].request("n2", { type: "echo", echo: "x" }, 500), "timeout");
  await Promise.all(conns.map((c) => c.close()));
});

test("lin-kv, seq-kv and lww-kv answer programs over the service link and outlive a restart", async () => {
  const hosts = new LocalHosts(["n1", "n2"], 17600, ["node", forwarder]);
  all.push(hosts);
  await Promise.all(["n1", "n2"].map((n) => hosts.start(n)));
  const kv = async (node: string, service: string, request: Body): Promise<Body> => {
    const r = await requestOnce(
      "127.0.0.1",
      node,
      { type: "kv", service, request },
      2000,
      hosts.host(node).clientPort,
    );
    assert.ok(typeof r !== "string", `kv through ${node}: ${r}`);
    assert.equal(r.type, "kv_ok");
    assert.equal(r.from, service, "the reply comes from the service");
    return r.reply as Body;
  };

  // No link attached yet: the host answers error 11 at once instead of leaving it unanswered.
  const early = Date.now();
  assert.deepEqual(pick(await kv("n1", "lin-kv", { type: "read", key: "a" }), "type", "code"), {
    type: "error",
    code: 11,
  });
  assert.ok(Date.now() - early < 1000);

  const services = startServiceLinks(hosts.serviceEndpoints);
  try {
    await until("links attached", async () =>
      services.attached("n1") && services.attached("n2") ? true : undefined,
    );
    assert.deepEqual(await kv("n1", "lin-kv", { type: "read", key: "a" }), {
      type: "error",
      code: 20,
      text: "key does not exist",
    });
    assert.deepEqual(await kv("n1", "lin-kv", { type: "write", key: "a", value: 1 }), {
      type: "write_ok",
    });
    // Another node sees the same store.
    assert.deepEqual(await kv("n2", "lin-kv", { type: "read", key: "a" }), {
      type: "read_ok",
      value: 1,
    });
    assert.deepEqual(await kv("n2", "lin-kv", { type: "cas", key: "a", from: 1, to: 2 }), {
      type: "cas_ok",
    });
    const stale = await kv("n1", "lin-kv", { type: "cas", key: "a", from: 1, to: 3 });
    assert.equal(stale.type, "error");
    assert.equal(stale.code, 22);
    const missing = await kv("n1", "lin-kv", { type: "cas", key: "b", from: 0, to: 1 });
    assert.equal(missing.code, 20);
    assert.deepEqual(
      await kv("n1", "lin-kv", {
        type: "cas",
        key: "b",
        from: 0,
        to: { list: [1] },
        create_if_not_exists: true,
      }),
      { type: "cas_ok" },
    );
    // Values compare as JSON: a cas whose `from` is an equal object succeeds.
    assert.deepEqual(
      await kv("n2", "lin-kv", { type: "cas", key: "b", from: { list: [1] }, to: 5 }),
      { type: "cas_ok" },
    );
    // Each service has its own store, and keys are JSON values (1 is not "1").
    assert.equal((await kv("n1", "seq-kv", { type: "read", key: "a" })).code, 20);
    await kv("n1", "lww-kv", { type: "write", key: 1, value: "one" });
    assert.equal((await kv("n2", "lww-kv", { type: "read", key: "1" })).code, 20);
    assert.deepEqual(await kv("n2", "lww-kv", { type: "read", key: 1 }), {
      type: "read_ok",
      value: "one",
    });
    assert.equal((await kv("n1", "lin-kv", { type: "append", key: "a" })).code, 10);
    assert.equal(services.stores.store("lin-kv").get("a"), 2);

    // Restart n1's host (and program): the link re-attaches, the store kept its state.
    hosts.kill("n1");
    await hosts.exited("n1");
    const down = Date.now();
    await hosts.start("n1");
    await until("link re-attached", async () => (services.attached("n1") ? true : undefined));
    const reattachMs = Date.now() - down;
    assert.deepEqual(await kv("n1", "lin-kv", { type: "read", key: "a" }), {
      type: "read_ok",
      value: 2,
    });
    const s1 = await stats(hosts, "n1");
    assert.equal(s1.service_out.read, 1);
    assert.equal(s1.service_in.read_ok, 1);
    console.log(`# service link re-attached ${reattachMs} ms after the host restarted`);
  } finally {
    await services.stop();
  }
  // Stopped: the hosts notice the link is gone and answer 11 again.
  await sleep(100);
  assert.equal((await kv("n2", "lin-kv", { type: "read", key: "a" })).code, 11);
});

function pick(body: Body, ...fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, body[f]]));
}

test("a program that cannot start makes its host log why, in one line, and exit", async () => {
  const cases: { program: string[]; line: RegExp; reason: RegExp }[] = [
    {
      program: ["pythonx", "-u", "node.py"],
      line: /host: node program cannot start: pythonx: not found in the node image$/m,
      reason: /^pythonx: not found in the node image$/,
    },
    {
      program: [
        "sh",
        "-c",
        "echo 'starting' >&2; echo \"/usr/bin/env: 'ruby': No such file or directory\" >&2; exit 127",
      ],
      line: /host: node program exited before init_ok \(code 127\): \/usr\/bin\/env: 'ruby': No such file or directory$/m,
      reason: /^exited before init_ok \(code 127\): .*'ruby': No such file or directory$/,
    },
  ];
  // A Node program that throws at start: the error, not its stack frames.
  cases.push({
    program: ["node", "-e", "require('./no-such-helper.js')"],
    line: /exited before init_ok \(code 1\): .*Error: Cannot find module '\.\/no-such-helper\.js'/m,
    reason: /Cannot find module/,
  });
  for (const [i, c] of cases.entries()) {
    const hosts = new LocalHosts(["n1"], 17700 + 10 * i, c.program);
    all.push(hosts);
    await hosts.launch("n1");
    const started = Date.now();
    await until("host listening", async () => {
      const r = await requestOnce(
        "127.0.0.1",
        "n1",
        { type: "host_topology", node_id: "n1", nodes: hosts.topologyNodes },
        500,
        17700 + 10 * i,
      );
      return r === "refused" ? undefined : r;
    });
    const code = await hosts.exited("n1");
    assert.equal(code, 1, "the host exits with 1");
    assert.ok(Date.now() - started < 3000, "the host exits within seconds");
    const log = hosts.log("n1");
    assert.match(log, c.line);
    const failures = log.split("\n").filter((l) => /node program (cannot|exited)/.test(l));
    assert.equal(failures.length, 1, "one line says why");
    assert.match(startFailureIn(log) ?? "", c.reason);
  }
});

test("startFailureIn reads only the host's latest start", () => {
  const failed = [
    "2024-01-01T00:00:00Z host: clients on tcp 7070, peers on udp 7071, program: ruby x.rb",
    "2024-01-01T00:00:00Z host: node program cannot start: ruby: not found in the node image",
  ].join("\n");
  const restarted = `${failed}\n2024-01-01T00:00:05Z host: clients on tcp 7070, peers on udp 7071, program: ruby x.rb\n`;
  assert.equal(startFailureIn(failed), "ruby: not found in the node image");
  assert.equal(startFailureIn(restarted), undefined);
  assert.equal(
    startFailureIn("host: node program exited (code 1, signal null); host exits"),
    undefined,
    "a program that exits after init_ok is not a start failure",
  );
});
