// The node host as local processes on 127.0.0.1 (no Docker): Raft through hosts, the Python
// node under a host, drops rather than late delivery to an unreachable peer, counters, logs.
import { after, test } from "node:test";
import { kvAndEcho } from "./codec.ts";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { HostClient } from "../../targets/host/client.ts";
import { requestOnce } from "../../targets/host/connection.ts";
import { LocalHosts } from "./local-hosts.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const all: LocalHosts[] = [];
after(() => all.forEach((h) => h.stopAll()));

test("three Raft nodes under local hosts elect a leader and serve any node", async () => {
  const hosts = new LocalHosts(["n1", "n2", "n3"], 17100, []);
  all.push(hosts);
  const raftJs = await hosts.bundleTo(
    new URL("../../targets/raft/main.ts", import.meta.url),
    "raft",
  );
  hosts.program.push("node", raftJs);
  await Promise.all(["n1", "n2", "n3"].map((n) => hosts.start(n)));
  const client = (n: string) => new HostClient("127.0.0.1", n, kvAndEcho, hosts.host(n).clientPort);
  const c1 = client("n1");
  const c2 = client("n2");
  const c3 = client("n3");
  // Until a leader is elected, requests fail with error 11; retry for a while.
  let w = await c1.invoke({ f: "write", key: "k", value: 1 }, 1000);
  for (let i = 0; i < 30 && w.type !== "ok"; i++) {
    await sleep(100);
    w = await c1.invoke({ f: "write", key: "k", value: 1 }, 1000);
  }
  assert.deepEqual(w, { type: "ok" });
  assert.deepEqual(await c2.invoke({ f: "read", key: "k" }, 1000), { type: "ok", value: 1 });
  assert.equal((await c3.invoke({ f: "cas", key: "k", value: [1, 2] }, 1000)).type, "ok");
  const bad = await c3.invoke({ f: "cas", key: "k", value: [1, 3] }, 1000);
  assert.equal(bad.type, "fail");
  assert.equal((bad.error as { code: number }).code, 22);
  // Key does not exist (20): lin-kv records it as an ok read of nothing.
  const missing = await c1.invoke({ f: "read", key: "nope" }, 1000);
  assert.deepEqual(missing, { type: "ok", value: null });

  const roles = await Promise.all(
    ["n1", "n2", "n3"].map((n) =>
      requestOnce("127.0.0.1", n, { type: "role" }, 500, hosts.host(n).clientPort),
    ),
  );
  assert.equal(roles.filter((r) => typeof r !== "string" && r.role === "leader").length, 1);
  const stats = await requestOnce("127.0.0.1", "n1", { type: "host_stats" }, 500, 17100);
  assert.ok(typeof stats !== "string" && stats.type === "host_stats_ok");
  const s = stats as unknown as { sent: Record<string, number>; received: Record<string, number> };
  assert.ok(
    (s.sent.append_entries ?? 0) + (s.received.append_entries ?? 0) > 0,
    "no Raft traffic counted",
  );
  await Promise.all([c1, c2, c3].map((c) => c.close()));
});

test("a message to an unreachable peer is dropped, never delivered late", async () => {
  const hosts = new LocalHosts(["n1", "n2"], 17200, []);
  all.push(hosts);
  const probeJs = await hosts.bundleTo(new URL("./fixtures/probe.ts", import.meta.url), "probe");
  hosts.program.push("node", probeJs);
  await hosts.start("n1");
  const ask = (n: string, body: { type: string; [k: string]: unknown }) =>
    requestOnce("127.0.0.1", n, body, 1000, hosts.host(n).clientPort);
  // n2 is down: 200 pings sent to it now must never arrive.
  assert.equal((await ask("n1", { type: "spray", to: "n2", count: 200 })) instanceof Object, true);
  await sleep(200);
  await hosts.start("n2");
  await sleep(500);
  assert.deepEqual(await ask("n2", { type: "count" }), {
    type: "count_ok",
    pings: 0,
    in_reply_to: 1,
  });
  // Now reachable: pings arrive, so the path works and only the early ones were dropped.
  await ask("n1", { type: "spray", to: "n2", count: 20 });
  await sleep(300);
  const after = await ask("n2", { type: "count" });
  assert.equal(typeof after !== "string" && after.pings, 20);
  // A request the node never answers completes as info (timeout), not fail.
  const c = new HostClient("127.0.0.1", "n2", kvAndEcho, hosts.host("n2").clientPort);
  assert.deepEqual(await c.invoke({ f: "read", key: "k" }, 300), {
    type: "info",
    error: "timeout",
  });
  await c.close();
});

test("the Python register node answers clients under the host, and its exit is logged", async () => {
  const hosts = new LocalHosts(["n1"], 17300, []);
  all.push(hosts);
  const py = new URL("../../targets/python-register/register.py", import.meta.url).pathname;
  hosts.program.push("python3", "-u", py);
  await hosts.start("n1");
  const c = new HostClient("127.0.0.1", "n1", kvAndEcho, 17300);
  assert.deepEqual(await c.invoke({ f: "echo", value: "hi" }, 1000), { type: "ok", value: "hi" });
  // Key does not exist (code 20): lin-kv records that as an ok read of nothing.
  assert.deepEqual(await c.invoke({ f: "read", key: "a" }, 1000), { type: "ok", value: null });
  assert.equal((await c.invoke({ f: "write", key: "a", value: 5 }, 1000)).type, "ok");
  assert.deepEqual(await c.invoke({ f: "read", key: "a" }, 1000), { type: "ok", value: 5 });
  assert.equal((await c.invoke({ f: "cas", key: "a", value: [5, 6] }, 1000)).type, "ok");
  assert.equal((await c.invoke({ f: "cas", key: "a", value: [5, 7] }, 1000)).type, "fail");
  await c.close();
  // Kill the program alone: the host logs it and exits.
  const status = await requestOnce("127.0.0.1", "n1", { type: "host_status" }, 500, 17300);
  assert.ok(typeof status !== "string" && typeof status.pid === "number");
  process.kill(status.pid as number, "SIGKILL");
  await sleep(300);
  assert.match(hosts.log("n1"), /node program exited \(code null, signal SIGKILL\)/);
  assert.notEqual(hosts.host("n1").proc?.exitCode, null, "host still running");
});

test("a client request that times out or loses its connection is info", async () => {
  const hosts = new LocalHosts(["n1"], 17400, []);
  all.push(hosts);
  const py = new URL("../../targets/python-register/register.py", import.meta.url).pathname;
  hosts.program.push("python3", "-u", py);
  await hosts.start("n1");
  const c = new HostClient("127.0.0.1", "n1", kvAndEcho, 17400);
  assert.equal((await c.invoke({ f: "write", key: "a", value: 1 }, 1000)).type, "ok");
  hosts.kill("n1");
  await sleep(200);
  const lost = await c.invoke({ f: "write", key: "a", value: 2 }, 1000);
  // The connection was lost before or while sending: info if sent, fail if refused.
  assert.ok(["info", "fail"].includes(lost.type));
  const refused = await c.invoke({ f: "write", key: "a", value: 3 }, 1000);
  assert.deepEqual(refused, { type: "fail", error: "connection-refused" });
});

test("a request its client gave up on while the host was frozen is dropped, not run late", async () => {
  const hosts = new LocalHosts(["n1"], 17500, []);
  all.push(hosts);
  const py = new URL("../../targets/python-register/register.py", import.meta.url).pathname;
  hosts.program.push("python3", "-u", py);
  await hosts.start("n1");
  const c = new HostClient("127.0.0.1", "n1", kvAndEcho, 17500);
  assert.equal((await c.invoke({ f: "write", key: "a", value: 1 }, 1000)).type, "ok");
  // Frozen like a paused container: the request waits in the socket, the client times out.
  hosts.host("n1").proc!.kill("SIGSTOP");
  const late = await c.invoke({ f: "write", key: "a", value: 2 }, 300);
  assert.deepEqual(late, { type: "info", error: "timeout" });
  await sleep(100);
  hosts.host("n1").proc!.kill("SIGCONT");
  await sleep(300);
  // The next op gets a fresh connection; the abandoned write never took effect.
  assert.deepEqual(await c.invoke({ f: "read", key: "a" }, 1000), { type: "ok", value: 1 });
  const stats = await requestOnce("127.0.0.1", "n1", { type: "host_stats" }, 1000, 17500);
  assert.ok(typeof stats !== "string");
  assert.deepEqual(stats.dropped, { "abandoned write": 1 });
  await c.close();
});

test("the host's log file is rotated past its size limit, one older file kept", async () => {
  const hosts = new LocalHosts(["n1"], 17600, [], ["--max-log-bytes", "3000"]);
  all.push(hosts);
  const py = new URL("../../targets/python-register/register.py", import.meta.url).pathname;
  hosts.program.push("python3", "-u", py);
  await hosts.start("n1");
  // Each service link attached (and detached when its connection closes) logs a line.
  for (let i = 0; i < 60; i++) {
    const body = { type: "services_attach", services: ["lin-kv"] };
    await requestOnce("127.0.0.1", "n1", body, 1000, 17600);
  }
  const dir = hosts.host("n1").stateDir;
  const size = (f: string) => statSync(join(dir, f)).size;
  assert.ok(existsSync(join(dir, "host.log.1")), "rotated");
  assert.ok(size("host.log.1") > 3000 && size("host.log.1") < 3000 + 500, `${size("host.log.1")}`);
  assert.ok(size("host.log") <= 3000 + 500);
});
