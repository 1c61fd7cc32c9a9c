// What a real run leaves for CI and for cleaning up (needs a Docker engine and the node image;
// fails saying so otherwise): `--junit PATH` gets the run's JUnit XML, test.json names the
// cluster as soon as it exists, and a second Ctrl-C says what is left and how to remove it.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";
import { docker } from "../../harness/runtime/docker.ts";
import { EXIT } from "../../core/errors.ts";

const root = new URL("../../", import.meta.url).pathname;
const bin = join(root, "bin/faultline");

before(async () => {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
});

async function leftovers(clusterId: string): Promise<number> {
  const filters = { label: [`faultline.cluster=${clusterId}`] };
  const containers = await docker().listContainers({ all: true, filters });
  const networks = await docker().listNetworks({ filters });
  return containers.length + networks.length;
}

test("--junit PATH: the run's JUnit XML where CI expects it, with seed, parameters and replay", async () => {
  const store = mkdtempSync(join(tmpdir(), "faultline-junit-"));
  const junit = join(store, "ci", "junit.xml");
  const r = await execa(
    bin,
    [
      "run",
      "--store",
      store,
      "--target",
      "raft",
      "--nodes",
      "3",
      "--time-limit",
      "5",
      "--settle",
      "1",
      "--nemesis-interval",
      "2",
      "--seed",
      "3",
      "--junit",
      junit,
    ],
    { cwd: root, reject: false, all: true },
  );
  assert.ok(r.exitCode === EXIT.valid || r.exitCode === EXIT.invalid, r.all);
  const dir = /Stored in (\S+)/.exec(r.all ?? "")![1]!;
  const xml = readFileSync(junit, "utf8");
  assert.equal(xml, readFileSync(join(dir, "junit.xml"), "utf8"), "the same XML as the store's");
  assert.match(xml, /<property name="seed" value="3"\/>/);
  assert.match(xml, /<property name="nodes" value="3"\/>/);
  assert.match(
    xml,
    /<property name="rerun" value="faultline run --target raft --nodes 3 --workload lin-kv --nemesis partition,kill --nemesis-interval 2 --time-limit 5 [^"]*--seed 3"\/>/,
  );
  assert.match(xml, new RegExp(`<property name="replay" value="faultline replay ${dir}"/>`));
  assert.match(xml, /timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"/);
  assert.match(r.all ?? "", new RegExp(`JUnit: ${junit}`));
  // The cluster: named on the console and in test.json, and gone after the run.
  const cluster = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")).cluster;
  assert.equal(JSON.parse(readFileSync(join(dir, "test.json"), "utf8")).cluster, cluster);
  assert.match(
    r.all ?? "",
    new RegExp(`cluster ${cluster}; if this run dies, \`faultline clean --id ${cluster}\``),
  );
  assert.equal(await leftovers(cluster), 0);
});

test("a second Ctrl-C quits at once, naming what is left and the command that removes it", async () => {
  const store = mkdtempSync(join(tmpdir(), "faultline-twice-"));
  const args = [
    "run",
    "--store",
    store,
    "--target",
    "raft",
    "--nodes",
    "3",
    "--time-limit",
    "30",
    "--seed",
    "4",
  ];
  const child = execa(bin, args, { cwd: root, reject: false, all: true });
  let output = "";
  child.all!.on("data", (c: Buffer) => (output += String(c)));
  // Once the cluster is up, test.json already names it (a run killed now leaves its id).
  const deadline = Date.now() + 90_000;
  let cluster: string | undefined;
  while (!cluster && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    cluster = /faultline: cluster ([0-9a-f]+);/.exec(output)?.[1];
  }
  assert.ok(cluster, `the console named the cluster: ${output}`);
  const dir = join(store, "raft", readdirSync(join(store, "raft"))[0]!);
  assert.equal(JSON.parse(readFileSync(join(dir, "test.json"), "utf8")).cluster, cluster);
  assert.ok((await leftovers(cluster)) > 0, "the cluster is up");
  child.kill("SIGINT");
  await new Promise((r) => setTimeout(r, 300));
  child.kill("SIGINT");
  const r = await child;
  try {
    assert.equal(r.exitCode, EXIT.interrupted, r.all);
    assert.match(r.all ?? "", /SIGINT again: quitting at once\./);
    assert.match(
      r.all ?? "",
      new RegExp(
        `Cluster ${cluster} may still be running .*: \`faultline clean --id ${cluster}\` removes it\\. The partial history is in ${dir} \\(\`faultline check ${dir}\`\\)`,
      ),
    );
    assert.ok(!existsSync(join(store, "latest")), "a run that quit at once is not the latest");
  } finally {
    // The command it printed removes what is left.
    const clean = await execa(bin, ["clean", "--id", cluster], { cwd: root, reject: false });
    assert.equal(clean.exitCode, 0, clean.stderr);
    assert.equal(await leftovers(cluster), 0);
  }
});
