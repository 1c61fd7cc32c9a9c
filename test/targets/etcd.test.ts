// The etcd target without Docker: the lin-kv operations as etcd JSON requests, what every
// answer (and no answer) means, the gateway's refused/timeout/lost cases against real local
// HTTP servers, the status and log parsing, the cluster file, and clock faults refused.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { EXIT, UserError } from "../../core/errors.ts";
import type { Cluster } from "../../core/runtime.ts";
import { Gateway, type GatewayReply } from "../../targets/etcd/gateway.ts";
import {
  DEFINITE_ERRORS,
  completionOf,
  decodeValue,
  encodeValue,
  requestFor,
  toBase64,
} from "../../targets/etcd/outcomes.ts";
import { clusterConf, fatalIn, parseStatus } from "../../targets/etcd/cluster.ts";
import { EtcdClient } from "../../targets/etcd/client.ts";
import { getTarget } from "../../targets/index.ts";
import { linKvWorkload } from "../../harness/workloads/lin-kv.ts";
import { targetLines } from "../../harness/commands/targets.ts";
import { runTest } from "../../harness/run/orchestrate.ts";
import { RUN_DEFAULTS } from "../../harness/run/spec.ts";
import { getWorkload } from "../../harness/workloads/index.ts";

const linKv = linKvWorkload().messages;
const answer = (status: number, body: unknown): GatewayReply => ({
  kind: "answer",
  status,
  body,
  text: JSON.stringify(body),
});
const header = { cluster_id: "1", member_id: "2", revision: "5", raft_term: "3" };
const etcdError = (status: number, code: number, message: string) =>
  answer(status, { error: message, message, code });

const read = { f: "read", key: "k0" };
const write = { f: "write", key: "k0", value: 7 };
const cas = { f: "cas", key: "k0", value: [7, 8] };

test("lin-kv operations become etcd range, put and txn bodies (base64 keys, JSON values)", () => {
  assert.deepEqual(requestFor(read, "linearizable"), {
    path: "/v3/kv/range",
    body: { key: toBase64("k0") },
    headers: {},
  });
  // The weak variant: the same range, answered from the member's own state.
  assert.deepEqual(requestFor(read, "serializable"), {
    path: "/v3/kv/range",
    body: { key: toBase64("k0"), serializable: true },
    headers: {},
  });
  // Writes and cas require a leader: refused at once (definite) by a member that knows none.
  assert.deepEqual(requestFor(write, "serializable"), {
    path: "/v3/kv/put",
    body: { key: "azA=", value: "Nw==" }, // "k0", "7"
    headers: { "Grpc-Metadata-hasleader": "true" },
  });
  assert.deepEqual(requestFor(cas, "linearizable"), {
    path: "/v3/kv/txn",
    body: {
      compare: [{ key: "azA=", target: "VALUE", result: "EQUAL", value: "Nw==" }],
      success: [{ request_put: { key: "azA=", value: "OA==" } }],
    },
    headers: { "Grpc-Metadata-hasleader": "true" },
  });
  assert.throws(() => requestFor({ f: "cas", key: "k0", value: 3 }, "linearizable"), UserError);
  assert.throws(() => requestFor({ f: "append", key: "k0" }, "linearizable"), UserError);
  assert.throws(() => requestFor({ f: "read" }, "linearizable"), UserError);
  assert.equal(decodeValue(encodeValue(123)), 123);
  assert.deepEqual(decodeValue(encodeValue([1, "a"])), [1, "a"]);
  assert.equal(decodeValue(toBase64("not json")), "not json");
});

test("answers: a range gives the value or null, a put is ok, a txn is ok or a definite fail", () => {
  const kv = { key: "azA=", create_revision: "2", mod_revision: "4", version: "2", value: "Nw==" };
  assert.deepEqual(completionOf(read, answer(200, { header, kvs: [kv], count: "1" })), {
    type: "ok",
    value: 7,
  });
  // etcd leaves out empty fields: a key never written has no kvs at all.
  assert.deepEqual(completionOf(read, answer(200, { header })), { type: "ok", value: null });
  assert.deepEqual(completionOf(write, answer(200, { header })), { type: "ok" });
  assert.deepEqual(completionOf(cas, answer(200, { header, succeeded: true, responses: [] })), {
    type: "ok",
  });
  // A failed compare: etcd applied the (empty) failure branch; `succeeded` false is left out.
  const failed = completionOf(cas, answer(200, { header }));
  assert.equal(failed.type, "fail");
  assert.match(String(failed.error), /compare failed/);
});

test("errors: a write is fail only when etcd refused it before proposing; a read is fail", () => {
  // Proposals that may still commit: unknown.
  for (const [status, code, message] of [
    [500, 2, "context deadline exceeded"],
    [503, 14, "etcdserver: request timed out"],
    [503, 14, "etcdserver: request timed out, possibly due to previous leader failure"],
    [503, 14, "etcdserver: leader changed"],
    [503, 14, "etcdserver: server stopped"],
    [503, 14, "transport is closing"],
  ] as const) {
    for (const op of [write, cas]) {
      const c = completionOf(op, etcdError(status, code, message));
      assert.equal(c.type, "info", `${op.f}: ${message}`);
      assert.equal(c.error, `etcd ${status}: ${message}`);
    }
    // A read changes nothing: whatever went wrong, it certainly did not take effect.
    assert.equal(completionOf(read, etcdError(status, code, message)).type, "fail", message);
  }
  for (const message of Object.keys(DEFINITE_ERRORS))
    assert.equal(completionOf(write, etcdError(503, 14, message)).type, "fail", message);
  // InvalidArgument (the gateway's 400) is rejected before the server sees it.
  assert.equal(
    completionOf(cas, etcdError(400, 3, "etcdserver: key is not provided")).type,
    "fail",
  );
  // Answered, but not with an answer we can read: unknown for a write, nothing for a read.
  const garbled: GatewayReply = { kind: "answer", status: 200, body: undefined, text: "<html>" };
  assert.equal(completionOf(write, garbled).type, "info");
  assert.equal(completionOf(read, garbled).type, "fail");
});

test("no answer: refused is fail, a timeout info, a lost connection info unless a read", () => {
  for (const op of [read, write, cas]) {
    assert.equal(completionOf(op, { kind: "refused", error: "ECONNREFUSED" }).type, "fail");
    assert.deepEqual(completionOf(op, { kind: "timeout" }), { type: "info", error: "timeout" });
  }
  const lost: GatewayReply = { kind: "lost", error: "ECONNRESET" };
  assert.equal(completionOf(write, lost).type, "info");
  assert.equal(completionOf(cas, lost).type, "info");
  assert.equal(completionOf(read, lost).type, "fail");
});

// Real HTTP servers on localhost, each misbehaving one way.
const servers: http.Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

test("the gateway posts JSON and tells refused, timeout and lost connections apart", async () => {
  const seen: unknown[] = [];
  const echo = await serve((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      seen.push({
        url: req.url,
        method: req.method,
        hasleader: req.headers["grpc-metadata-hasleader"],
        body: JSON.parse(text),
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ header }));
    });
  });
  const gw = new Gateway("127.0.0.1", echo);
  const ok = await gw.post("/v3/kv/put", { key: "azA=" }, 2000, {
    "Grpc-Metadata-hasleader": "true",
  });
  assert.deepEqual(ok, answer(200, { header }));
  // The kept-alive connection carries the next request too.
  assert.equal((await gw.post("/v3/kv/range", { key: "azA=" }, 2000)).kind, "answer");
  assert.deepEqual(seen[0], {
    url: "/v3/kv/put",
    method: "POST",
    hasleader: "true",
    body: { key: "azA=" },
  });
  gw.close();

  const refused = new Gateway("127.0.0.1", await closedPort());
  assert.deepEqual(await refused.post("/v3/kv/put", {}, 2000), {
    kind: "refused",
    error: "ECONNREFUSED",
  });
  refused.close();

  // A paused member: the kernel accepts the connection, nobody answers.
  const silent = new Gateway("127.0.0.1", await serve(() => {}));
  const started = Date.now();
  assert.deepEqual(await silent.post("/v3/kv/put", {}, 300), { kind: "timeout" });
  assert.ok(Date.now() - started < 1500);
  silent.close();

  // A member killed after it read the request: the connection breaks with no answer.
  const dying = new Gateway("127.0.0.1", await serve((req) => req.socket.destroy()));
  const lost = await dying.post("/v3/kv/put", {}, 2000);
  assert.equal(lost.kind, "lost");
  dying.close();
});

test("the client reads linearizably, or serializably in the variant, and maps the answer", async () => {
  const bodies: Record<string, unknown>[] = [];
  const port = await serve((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      bodies.push(JSON.parse(text));
      const kv = { key: "azA=", value: encodeValue(41) };
      res.end(JSON.stringify({ header, kvs: [kv] }));
    });
  });
  const etcd = getTarget("etcd");
  const fakeCluster = {} as Cluster;
  const node = { name: "n1", ip: "127.0.0.1" };
  const strong = new EtcdClient("127.0.0.1", { reads: "linearizable" }, port);
  const weak = new EtcdClient("127.0.0.1", { reads: "serializable" }, port);
  assert.deepEqual(await strong.invoke(read, 1000), { type: "ok", value: 41 });
  assert.deepEqual(await weak.invoke(read, 1000), { type: "ok", value: 41 });
  assert.deepEqual(bodies, [{ key: "azA=" }, { key: "azA=", serializable: true }]);
  await strong.close();
  await weak.close();
  // The target builds the variant's client from the run's options.
  const c = await etcd.client(fakeCluster, node, linKv, {
    nodes: 3,
    variant: "serializable-reads",
  });
  assert.ok(c instanceof EtcdClient);
  await c.close();
});

test("a member's status: its id, the leader it knows (none as 0), the Raft term", () => {
  const body = {
    header: { ...header, member_id: "16695731370481151043" },
    version: "3.4.23",
    leader: "7552027791225960371",
    raftTerm: "4",
  };
  assert.deepEqual(parseStatus(body), {
    memberId: "16695731370481151043",
    leader: "7552027791225960371",
    raftTerm: 4,
    errors: [],
  });
  const lonely = parseStatus({ header, raftTerm: "9", errors: ["etcdserver: no leader"] });
  assert.equal(lonely?.leader, undefined);
  assert.deepEqual(lonely?.errors, ["etcdserver: no leader"]);
  assert.equal(parseStatus({ error: "x" }), undefined);
});

test("the cluster file names the node, its address and every member; fatal lines are found", () => {
  const cluster = {
    id: "abc123",
    nodes: [
      { name: "n1", ip: "10.0.0.2" },
      { name: "n2", ip: "10.0.0.3" },
    ],
    node: (name: string) => ({ name, ip: name === "n1" ? "10.0.0.2" : "10.0.0.3" }),
  } as unknown as Cluster;
  const conf = clusterConf(cluster, "n2");
  assert.match(conf, /^NAME=n2$/m);
  assert.match(conf, /^SELF_IP=10\.0\.0\.3$/m);
  assert.match(conf, /^CLUSTER=n1=http:\/\/10\.0\.0\.2:2380,n2=http:\/\/10\.0\.0\.3:2380$/m);
  assert.match(conf, /^TOKEN=faultline-abc123$/m);
  assert.ok(conf.trimEnd().endsWith("END=1"), "start.sh waits for this last line");

  const fatal = `{"level":"fatal","msg":"discovery failed","error":"bad flag"}`;
  const start = "faultline-etcd: starting etcd as n1";
  assert.equal(fatalIn(`${start}\n{"level":"info"}\n${fatal}\n`), "discovery failed: bad flag");
  // A fatal error of an earlier start does not count once etcd started again.
  assert.equal(fatalIn(`${start}\n${fatal}\n${start}\n{"level":"info"}\n`), undefined);
});

test("faultline targets says clock faults do not reach etcd, and a run with them is refused", async () => {
  const lines = targetLines();
  const at = lines.findIndex((l) => l.startsWith("  etcd:"));
  assert.ok(at >= 0, lines.join("\n"));
  assert.match(lines[at + 1]!, /no clock faults .*libfaketime/);
  assert.match(lines.join("\n"), /serializable-reads: /);
  await assert.rejects(
    runTest(
      {
        ...RUN_DEFAULTS,
        target: "etcd",
        nodes: 3,
        nemesis: ["partition", "clock"],
        seed: 1,
        store: "/nonexistent/store",
      },
      {
        getTarget,
        getWorkload,
        createCluster: () => Promise.reject(new Error("no cluster may be started")),
      },
    ),
    (err: unknown) =>
      err instanceof UserError && err.exitCode === EXIT.badInput && /clock/.test(err.message),
  );
});
