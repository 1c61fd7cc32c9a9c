// The Docker runtime against a real engine: one 3-node cluster shared by the fault tests,
// then lifecycle tests (teardown, clean after a killed control process, no engine).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import {
  CLOCK_REFRESH_SECONDS,
  createCluster,
  dockerAvailable,
  type Cluster,
} from "../../harness/runtime/index.ts";
import { docker } from "../../harness/runtime/docker.ts";
import { nodeImageTag } from "../../harness/runtime/image.ts";
import { probeCommand, probeFiles } from "./runtime-probe.ts";

const repo = new URL("../../", import.meta.url).pathname;
const faultline = repo + "bin/faultline";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function requireDocker(): Promise<void> {
  if (!(await dockerAvailable())) {
    assert.fail("These tests need a Docker engine and none answers; run `make setup` first.");
  }
}

async function leftovers(clusterId: string): Promise<{ containers: number; networks: number }> {
  const filters = { label: [`faultline.cluster=${clusterId}`] };
  const containers = await docker().listContainers({ all: true, filters });
  const networks = await docker().listNetworks({ filters });
  return { containers: containers.length, networks: networks.length };
}

describe("runtime: a 3-node cluster under faults", () => {
  let c: Cluster;
  const ip = (n: string) => c.node(n).ip;

  /** Does `to` answer a TCP request sent from inside `from` within `timeout` seconds? */
  async function tcp(from: string, to: string, timeout = 1): Promise<boolean> {
    const r = await c.exec(from, [
      "python3",
      "/opt/probe/client.py",
      "tcp",
      ip(to),
      String(timeout),
    ]);
    return r.exitCode === 0 && r.stdout.startsWith(`pong ${to}`);
  }

  /** Send `count` UDP datagrams from `from` to `to`; how many did `to` log? */
  async function udp(from: string, to: string, count = 3): Promise<number> {
    const tag = `${from}-${randomBytes(4).toString("hex")}`;
    await c.exec(from, ["python3", "/opt/probe/client.py", "udp", ip(to), tag, String(count)]);
    await sleep(150);
    const log = await c.exec(to, ["sh", "-c", "cat /tmp/udp.log 2>/dev/null || true"]);
    return log.stdout.split("\n").filter((l) => l.startsWith(tag)).length;
  }

  /** Can the control process (this test, on the host) reach `node`'s TCP server? */
  function fromControl(node: string): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect({ host: ip(node), port: 7000, timeout: 1000 }, () => s.write("ping\n"));
      s.on("data", (d) => (resolve(d.toString().startsWith(`pong ${node}`)), s.destroy()));
      s.on("timeout", () => (resolve(false), s.destroy()));
      s.on("error", () => resolve(false));
    });
  }

  before(async () => {
    await requireDocker();
    c = await createCluster({ nodes: 3, files: probeFiles, command: probeCommand });
    // Wait for every probe server (python start-up).
    for (const n of c.nodes) {
      for (let i = 0; i < 50 && !(await tcp(n.name === "n1" ? "n2" : "n1", n.name)); i++)
        await sleep(100);
    }
  });
  after(async () => {
    await c?.teardown();
  });

  test("nodes have stable names and distinct addresses on one subnet", () => {
    assert.deepEqual(
      c.nodes.map((n) => n.name),
      ["n1", "n2", "n3"],
    );
    const prefixes = new Set(c.nodes.map((n) => n.ip.split(".").slice(0, 3).join(".")));
    assert.equal(prefixes.size, 1);
    assert.equal(new Set(c.nodes.map((n) => n.ip)).size, 3);
  });

  test("files, exec, getFile and logs", async () => {
    const r = await c.exec("n2", ["sh", "-c", "hostname; echo oops >&2; exit 3"]);
    assert.deepEqual(r, { exitCode: 3, stdout: "n2\n", stderr: "oops\n" });
    await c.putFile("n3", "/data/sub/dir/file.bin", Buffer.from([0, 1, 2, 255]), 0o600);
    assert.deepEqual([...(await c.getFile("n3", "/data/sub/dir/file.bin"))], [0, 1, 2, 255]);
    assert.match((await c.getFile("n1", "/opt/probe/server.py")).toString(), /serve_forever/);
    assert.match(await c.logs("n1"), /probe ready n1/);
    const netAdmin = await c.exec("n1", ["iptables", "-S"]);
    assert.notEqual(netAdmin.exitCode, 0, "the node's own container must not have NET_ADMIN");
  });

  test("a partition blocks TCP between two nodes and heal restores it", async () => {
    assert.equal(await tcp("n1", "n3"), true);
    await c.partition({ n1: ["n3"], n3: ["n1"] });
    const [a, b, other1, other2] = await Promise.all([
      tcp("n1", "n3"),
      tcp("n3", "n1"),
      tcp("n1", "n2"),
      tcp("n2", "n3"),
    ]);
    assert.deepEqual([a, b, other1, other2], [false, false, true, true]);
    await c.healNetwork();
    assert.deepEqual(await Promise.all([tcp("n1", "n3"), tcp("n3", "n1")]), [true, true]);
  });

  test("a one-way cut blocks one direction only", async () => {
    await c.partition({ n1: ["n2"] }); // n1 drops what n2 sends
    assert.equal(await udp("n2", "n1"), 0, "n2 -> n1 must be cut");
    assert.equal(await udp("n1", "n2"), 3, "n1 -> n2 must still flow");
    await c.healNetwork();
    assert.equal(await udp("n2", "n1"), 3);
  });

  test("receive omission: the node hears nothing from peers, still sends, control still reaches it", async () => {
    await c.dropIncoming("n1");
    assert.equal(await udp("n2", "n1"), 0);
    assert.equal(await udp("n3", "n1"), 0);
    assert.equal(await udp("n1", "n2"), 3);
    assert.equal(await tcp("n2", "n3"), true);
    assert.equal(await fromControl("n1"), true, "the control process must still reach n1");
    await c.healNetwork();
    assert.equal(await udp("n2", "n1"), 3);
  });

  test("send omission: nothing the node sends reaches peers, it still hears them", async () => {
    await c.dropOutgoing("n1");
    assert.equal(await udp("n1", "n2"), 0);
    assert.equal(await udp("n1", "n3"), 0);
    assert.equal(await udp("n2", "n1"), 3);
    assert.equal(await tcp("n2", "n3"), true);
    await c.healNetwork();
    assert.equal(await udp("n1", "n2"), 3);
  });

  test("packet loss drops about the given share of packets", async () => {
    await c.loss("n3", 0.5);
    const got = await udp("n1", "n3", 200);
    await c.healNetwork();
    assert.ok(got > 50 && got < 150, `expected about 100 of 200 datagrams, got ${got}`);
    assert.equal(await udp("n1", "n3", 20), 20);
  });

  test("healing removes only Faultline's chains' rules and keeps other rules", async () => {
    await c.exec("n2", ["iptables", "-A", "INPUT", "-p", "udp", "--dport", "9", "-j", "DROP"], {
      infra: true,
    });
    await c.partition({ n2: ["n1"] });
    await c.healNetwork();
    const rules = (await c.exec("n2", ["iptables", "-S"], { infra: true })).stdout;
    assert.match(rules, /--dport 9 -j DROP/);
    assert.doesNotMatch(rules, /-A FAULTLINE-IN -s/);
  });

  test("pause makes a node stop answering; resume restores it", async () => {
    await c.pause("n2");
    assert.equal(await tcp("n1", "n2"), false);
    await c.resume("n2");
    assert.equal(await tcp("n1", "n2", 3), true);
  });

  test("kill then start keeps the data directory, the address and the fault rules", async () => {
    await c.exec("n3", ["sh", "-c", "echo kept > /data/state"]);
    await c.partition({ n3: ["n1"] });
    await c.kill("n3");
    const dead = await c.exec("n3", ["true"]).catch((e: Error) => e);
    assert.ok(dead instanceof Error, "exec into a killed node must fail");
    await c.start("n3");
    assert.equal((await c.getFile("n3", "/data/state")).toString(), "kept\n");
    let up = false;
    for (let i = 0; i < 50 && !up; i++) up = await tcp("n2", "n3");
    assert.equal(up, true, "n3's server must answer at the same address after restart");
    assert.equal(await udp("n1", "n3"), 0, "n3's grudge against n1 must survive the restart");
    await c.healNetwork();
  });

  test("a clock offset is seen by processes of that node only", async () => {
    await c.setClockOffset("n2", 3600);
    await sleep(CLOCK_REFRESH_SECONDS * 1000 + 300);
    const now = Date.now() / 1000;
    const [d2, d3, node2] = await Promise.all([
      c.exec("n2", ["date", "+%s"]),
      c.exec("n3", ["date", "+%s"]),
      c.exec("n2", ["node", "-e", "console.log(Date.now() / 1000)"]),
    ]);
    assert.ok(Math.abs(Number(d2.stdout) - now - 3600) < 10, `n2 date: ${d2.stdout}`);
    assert.ok(Math.abs(Number(d3.stdout) - now) < 10, `n3 date: ${d3.stdout}`);
    assert.ok(Math.abs(Number(node2.stdout) - now - 3600) < 10, `n2 Date.now: ${node2.stdout}`);
    await c.setClockOffset("n2", 0);
    await sleep(CLOCK_REFRESH_SECONDS * 1000 + 300);
    const back = await c.exec("n2", ["date", "+%s"]);
    assert.ok(Math.abs(Number(back.stdout) - Date.now() / 1000) < 10, `n2 reset: ${back.stdout}`);
  });
});

describe("runtime: lifecycle", () => {
  before(requireDocker);

  test("teardown leaves no container or network, and is safe twice", async () => {
    const c = await createCluster({ nodes: 2 });
    assert.deepEqual(await leftovers(c.id), { containers: 4, networks: 1 });
    await c.teardown();
    assert.deepEqual(await leftovers(c.id), { containers: 0, networks: 0 });
    await c.teardown();
  });

  test("bad specs are refused with one sentence", async () => {
    await assert.rejects(createCluster({ nodes: 0 }), /between 1 and/);
    await assert.rejects(createCluster({ nodes: 1, id: "Bad Id!" }), /not usable/);
    await assert.rejects(
      createCluster({ nodes: 1, image: "faultline-none:nope" }),
      /not in the Docker engine/,
    );
  });

  test("`faultline clean` removes the cluster of a control process killed with SIGKILL", async () => {
    const id = `killed-${randomBytes(3).toString("hex")}`;
    const script = `import { createCluster } from ${JSON.stringify(repo + "harness/runtime/index.ts")};
      await createCluster({ nodes: 2, id: ${JSON.stringify(id)} });
      console.log("ready");
      setInterval(() => {}, 1000);`;
    const child = execa("node", ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repo,
      reject: false,
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child.on("exit", () => reject(new Error("the child exited before its cluster was up")));
    });
    child.kill("SIGKILL");
    await child;
    assert.deepEqual(await leftovers(id), { containers: 4, networks: 1 });
    // Scoped to this cluster (--id) so tests running beside this one keep their clusters.
    const first = await execa(faultline, ["clean", "--id", id]);
    assert.match(first.stdout, /Removed 4 container\(s\) and 1 network\(s\)/);
    assert.deepEqual(await leftovers(id), { containers: 0, networks: 0 });
    const second = await execa(faultline, ["clean", "--id", id]);
    assert.equal(second.stdout.trim(), "Nothing to clean.");
  });

  test("`faultline clean` names a network that a container not ours still uses, and exits 5", async () => {
    const id = `inuse-${randomBytes(3).toString("hex")}`;
    await docker().createNetwork({
      Name: `faultline-test-${id}`,
      Labels: { faultline: "1", "faultline.cluster": id },
    });
    // Not labelled: clean leaves it, and it keeps the network in use.
    const stranger = await docker().createContainer({
      name: `faultline-test-stranger-${id}`,
      Image: nodeImageTag(),
      Cmd: ["sleep", "60"],
      HostConfig: { NetworkMode: `faultline-test-${id}` },
    });
    try {
      await stranger.start();
      const r = await execa(faultline, ["clean", "--id", id], { reject: false });
      assert.equal(r.exitCode, 5, r.stderr);
      assert.match(r.stderr, new RegExp(`faultline-test-${id} still have containers attached`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, "a stack trace instead of one sentence");
      assert.deepEqual(await leftovers(id), { containers: 0, networks: 1 });
    } finally {
      await stranger.remove({ force: true });
    }
    const again = await execa(faultline, ["clean", "--id", id]);
    assert.match(again.stdout, /Removed 0 container\(s\) and 1 network\(s\)/);
    assert.deepEqual(await leftovers(id), { containers: 0, networks: 0 });
  });

  test("`faultline doctor` reports every check OK on a ready machine", async () => {
    const r = await execa(faultline, ["doctor"], { reject: false });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    for (const check of ["engine", "image", "iptables", "freezer", "clock"]) {
      assert.match(r.stdout, new RegExp(`OK +${check} `), `${check} in:\n${r.stdout}`);
    }
  });

  test("`faultline cluster up` leaves a cluster with addresses; `down` removes it", async () => {
    const id = `cli-${randomBytes(3).toString("hex")}`;
    const up = await execa(faultline, ["cluster", "up", "--nodes", "2", "--id", id]);
    assert.match(up.stdout, /n1 +10\.213\.\d+\.11\n +n2 +10\.213\.\d+\.12/);
    assert.deepEqual(await leftovers(id), { containers: 4, networks: 1 });
    const down = await execa(faultline, ["cluster", "down", "--id", id]);
    assert.match(down.stdout, new RegExp(`Cluster ${id} is down`));
    assert.deepEqual(await leftovers(id), { containers: 0, networks: 0 });
  });

  test("without a Docker engine the CLI fails with one sentence and exit 5", async () => {
    const env = { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    for (const args of [["clean"], ["cluster", "up", "--nodes", "1"], ["doctor"]]) {
      const r = await execa(faultline, args, { env, reject: false });
      assert.equal(r.exitCode, 5, `faultline ${args.join(" ")}`);
      const text = (r.stderr || r.stdout).trim();
      assert.equal(text.split("\n").length, 1, `one line expected, got: ${text}`);
      assert.match(text, /no Docker engine answers/i);
    }
  });
});
