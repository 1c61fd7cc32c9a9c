// `--bin`: a user's own program. Without Docker: what is shipped, the entry point, how it is
// started, the hash, the refusals. With a real Docker engine (fails saying so without one): a
// Python script importing a helper beside it answers under the node host; a missing
// interpreter is named in the node's log within seconds; extra Debian packages (ruby) give an
// image, cached, in which a Ruby node with require_relative runs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { UserError, EXIT } from "../../core/errors.ts";
import type { NodeFile } from "../../core/runtime.ts";
import { assertDocker, createCluster } from "../../harness/runtime/index.ts";
import { ensureImageWithPackages, normalizePackages } from "../../harness/runtime/extra-image.ts";
import {
  BIN_DIR,
  LAUNCHER_PATH,
  MAX_FILES,
  binTarget,
  describeProgram,
  loadProgram,
  programHash,
} from "../../targets/bin/index.ts";
import { requestOnce } from "../../targets/host/connection.ts";
import type { Body } from "../../targets/host/connection.ts";

const tmpRoots: string[] = [];
/** A fresh folder holding `files` (name -> content, or [content, mode]). */
async function folder(files: Record<string, string | Buffer | [string | Buffer, number]>) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "faultline-bin-"));
  tmpRoots.push(root);
  for (const [rel, spec] of Object.entries(files)) {
    const [content, mode] = Array.isArray(spec) ? spec : [spec, 0o644];
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), content);
    await fs.chmod(path.join(root, rel), mode);
  }
  return root;
}
after(async () => {
  for (const r of tmpRoots) await fs.rm(r, { recursive: true, force: true });
});

/** Rejects with a UserError whose message matches `re` (and is one line). */
async function rejectsUser(p: Promise<unknown>, re: RegExp, code: number = EXIT.badInput) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof UserError, `not a UserError: ${String(err)}`);
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/);
    assert.equal(err.exitCode, code);
    return true;
  });
}

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(64)]);

// A Maelstrom-style Python node: the script imports its helper module from beside it. The
// helper never flushes stdout: the target must make Python unbuffered.
const HELPER_PY = `import json, os, sys

def send(dest, body, src):
    sys.stdout.write(json.dumps({"src": src, "dest": dest, "body": body}) + "\\n")

def serve(handlers):
    me = None
    for line in sys.stdin:
        msg = json.loads(line)
        body = msg["body"]
        if body["type"] == "init":
            me = body["node_id"]
            print("helper node", me, "started in", os.getcwd(), file=sys.stderr, flush=True)
            reply = {"type": "init_ok"}
        else:
            reply = handlers[body["type"]](body)
        reply["in_reply_to"] = body["msg_id"]
        send(msg["src"], reply, me)
`;
const NODE_PY = `#!/usr/bin/env python
import os, sys
from helper import serve
from lib.words import shout

serve({
    "echo": lambda b: {"type": "echo_ok", "echo": b["echo"]},
    "where": lambda b: {"type": "where_ok", "cwd": os.getcwd(), "argv": sys.argv[1:], "loud": shout("hi")},
})
`;
const pythonNode = {
  "node.py": [NODE_PY, 0o755] as [string, number],
  "helper.py": HELPER_PY,
  "lib/__init__.py": "",
  "lib/words.py": "def shout(s):\n    return s.upper() + '!'\n",
};

describe("--bin without Docker: what is shipped and how it starts", () => {
  test("a script ships its whole folder (not .git or __pycache__) and runs directly by its #! line", async () => {
    const root = await folder({
      ...pythonNode,
      ".git/config": "[core]\n",
      "__pycache__/helper.cpython-311.pyc": "x",
    });
    const p = await loadProgram(path.join(root, "node.py"));
    assert.equal(p.root, root);
    assert.equal(p.entry, "node.py");
    assert.deepEqual(
      p.files.map((f) => [f.rel, f.mode]),
      [
        ["helper.py", 0o644],
        ["lib/__init__.py", 0o644],
        ["lib/words.py", 0o644],
        ["node.py", 0o755],
      ],
    );
    assert.deepEqual(p.launch, { kind: "shebang", interpreter: "python" });
  });

  test("the cluster spec: files under /opt/faultline/bin with their modes, the launcher, the command", async () => {
    const root = await folder({ "node.py": NODE_PY, "helper.py": HELPER_PY });
    const target = await binTarget({ path: path.join(root, "node.py"), args: ["--x", "1"] });
    assert.deepEqual(target.workloads, ["*"]);
    assert.ok(target.background, "Maelstrom's services (lin-kv, ...) run for --bin programs");
    assert.equal(target.defaultNodes, 3);
    const spec = await target.clusterSpec({ nodes: 3 });
    const files = new Map((spec.files ?? []).map((f: NodeFile) => [f.path, f]));
    assert.equal(String(files.get(`${BIN_DIR}/helper.py`)?.content), HELPER_PY);
    assert.equal(files.get(`${BIN_DIR}/node.py`)?.mode, 0o644);
    assert.equal(files.get(LAUNCHER_PATH)?.mode, 0o755);
    // Not executable here, so run by its extension's interpreter, unbuffered, from its folder.
    const cmd = spec.command ?? [];
    const tail = [
      "sh",
      LAUNCHER_PATH,
      "python3",
      "python3",
      "-u",
      `${BIN_DIR}/node.py`,
      "--x",
      "1",
    ];
    assert.deepEqual(cmd.slice(cmd.indexOf("--") + 1), tail);
    assert.equal(spec.env?.PYTHONUNBUFFERED, "1");
    assert.equal(spec.image, undefined, "no extra packages: the node image");
    assert.deepEqual(target.program.command, tail.slice(0));
    await rejectsUser(target.clusterSpec({ nodes: 3, variant: "lossy" }), /no variant lossy/);
  });

  test("interpreters by extension; a #! file without exec bit runs its #! line", async () => {
    const root = await folder({
      "a.js": "console.log(1)",
      "b.rb": "puts 1",
      "c.sh": "echo 1",
      "d.mjs": "x",
      e: "#!/usr/bin/perl -w\nprint 1;\n",
      "f.py": ["print(1)\n", 0o755], // executable but no #! line: still python3
    });
    const launch = async (f: string) => (await loadProgram(path.join(root, f))).launch;
    assert.deepEqual(await launch("a.js"), {
      kind: "interpreter",
      interpreter: ["node"],
      need: "node",
    });
    assert.deepEqual(await launch("b.rb"), {
      kind: "interpreter",
      interpreter: ["ruby"],
      need: "ruby",
    });
    assert.deepEqual(await launch("c.sh"), {
      kind: "interpreter",
      interpreter: ["sh"],
      need: "sh",
    });
    assert.deepEqual(await launch("d.mjs"), {
      kind: "interpreter",
      interpreter: ["node"],
      need: "node",
    });
    assert.deepEqual(await launch("e"), {
      kind: "interpreter",
      interpreter: ["/usr/bin/perl", "-w"],
      need: "/usr/bin/perl",
    });
    assert.deepEqual(await launch("f.py"), {
      kind: "interpreter",
      interpreter: ["python3", "-u"],
      need: "python3",
    });
  });

  test("a binary ships alone, executable, started directly", async () => {
    const root = await folder({ "kv-node": [ELF, 0o644], "build.log": "x".repeat(1000) });
    const p = await loadProgram(path.join(root, "kv-node"));
    assert.deepEqual(
      p.files.map((f) => [f.rel, f.mode]),
      [["kv-node", 0o755]],
    );
    assert.deepEqual(p.launch, { kind: "elf" });
    const { program } = await describeProgram(path.join(root, "kv-node"), ["-v"]);
    assert.deepEqual(program.command, ["sh", LAUNCHER_PATH, "-", `${BIN_DIR}/kv-node`, "-v"]);
    assert.equal(program.files, 1);
  });

  test("a folder: executable main/node/run first, else the only executable, else the only node.* script", async () => {
    const entry = async (files: Parameters<typeof folder>[0]) =>
      (await loadProgram(await folder(files))).entry;
    assert.equal(
      await entry({ main: ["#!/bin/sh\n", 0o755], "tool.sh": ["#!/bin/sh\n", 0o755] }),
      "main",
    );
    assert.equal(await entry({ run: [ELF, 0o755], "README.md": "hi" }), "run");
    assert.equal(
      await entry({ "start-node": ["#!/bin/sh\n", 0o755], "lib.sh": "f() { :; }" }),
      "start-node",
    );
    assert.equal(await entry({ "node.py": NODE_PY, "helper.py": HELPER_PY }), "node.py");
    // Executables further down do not count.
    assert.equal(await entry({ "node.js": "x", "bin/tool": ["#!/bin/sh\n", 0o755] }), "node.js");
  });

  test("a folder without a clear entry point is refused, listing what was found", async () => {
    await rejectsUser(
      loadProgram(await folder({ a: ["#!/bin/sh\n", 0o755], b: ["#!/bin/sh\n", 0o755] })),
      /cannot tell which file to run: found executables a, b; name the entry point main, node or run/,
    );
    await rejectsUser(
      loadProgram(await folder({ "node.py": "x", "main.js": "y" })),
      /found scripts main\.js, node\.py/,
    );
    await rejectsUser(
      loadProgram(await folder({ "README.md": "x", "helper.py": "y" })),
      /no executable and no main\/node\/run script \(top-level files: README\.md, helper\.py\)/,
    );
  });

  test("what cannot be started, or does not exist, or is too big, is refused in one sentence", async () => {
    const root = await folder({ "node.txt": "hello", "empty-bang": ["#!\n", 0o755] });
    await rejectsUser(
      loadProgram(path.join(root, "node.txt")),
      /do not know how to start node\.txt: it is neither an ELF binary nor a script with a #! line/,
    );
    await rejectsUser(loadProgram(path.join(root, "empty-bang")), /empty #! line/);
    await rejectsUser(
      loadProgram(path.join(root, "nope.py")),
      /^--bin .*nope\.py: no such file or folder\.$/,
    );
    const many: Record<string, string> = { "node.py": "x" };
    for (let i = 0; i < MAX_FILES; i++) many[`data/f${i}`] = "";
    await rejectsUser(
      loadProgram(path.join(await folder(many), "node.py")),
      /copies the whole folder .* more than 2000 files; put the program .* in a folder of its own/,
    );
    const big = await folder({ "node.py": "x" });
    await fs.writeFile(path.join(big, "data.bin"), "");
    await fs.truncate(path.join(big, "data.bin"), 51 * 1024 * 1024); // sparse: no disk used
    await rejectsUser(loadProgram(path.join(big, "node.py")), /more than 50 MB/);
  });

  test("the hash covers paths and contents of what is shipped, nothing else", async () => {
    const a = await folder({ "node.py": "print(1)", "helper.py": "X = 1" });
    const b = await folder({ "helper.py": "X = 1", "node.py": "print(1)", ".git/HEAD": "ref" });
    const h = await programHash(path.join(a, "node.py"));
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.equal(await programHash(path.join(b, "node.py")), h, "same files, .git ignored");
    assert.equal(await programHash(a), h, "the folder or its entry point: same files");
    const c = await folder({ "node.py": "print(1)", "helper.py": "X = 2" });
    assert.notEqual(await programHash(path.join(c, "node.py")), h, "a helper changed");
    const d = await folder({ "node.py": "print(1)", "helpr.py": "X = 1" });
    assert.notEqual(await programHash(path.join(d, "node.py")), h, "a file renamed");
    // Moving bytes between a name and its content must not collide.
    const e = await folder({ "node.py": "print(1)", "helper.p": "yX = 1" });
    assert.notEqual(await programHash(path.join(e, "node.py")), h);
    const { program } = await describeProgram(path.join(a, "node.py"), ["--n", "2"], ["ruby"]);
    assert.deepEqual(
      { ...program, command: undefined },
      {
        path: path.join(a, "node.py"),
        entry: "node.py",
        args: ["--n", "2"],
        sha256: h,
        files: 2,
        bytes: 13,
        command: undefined,
        imagePackages: ["ruby"],
      },
    );
  });

  test("package names are checked before anything runs: one sentence, exit 4", async () => {
    assert.deepEqual(normalizePackages([" ruby", "golang-go", "ruby", "", "g++"]), [
      "g++",
      "golang-go",
      "ruby",
    ]);
    await rejectsUser(
      ensureImageWithPackages(["ruby", "Ruby!", "x"]),
      /^--image-packages: "Ruby!", "x" are not Debian package names \(lower-case letters, digits/,
    );
    await rejectsUser(
      binTarget({ path: "/nowhere/at/all", imagePackages: ["ok"] }),
      /no such file/,
    );
    await rejectsUser(
      binTarget({ path: "/nowhere", imagePackages: ["../etc"] }),
      /is not a Debian package name/,
    );
  });
});

describe("--bin in real containers", () => {
  before(async () => {
    await assertDocker(); // no engine: fails here, saying how to get one
  });

  test("a Python script importing helpers beside it answers under the host", async () => {
    const root = await folder(pythonNode);
    const target = await binTarget({
      path: path.join(root, "node.py"),
      args: ["--greeting", "hi there"],
    });
    const cluster = await createCluster({ nodes: 1, ...(await target.clusterSpec({ nodes: 1 })) });
    try {
      await target.awaitReady(cluster, 20_000);
      const n1 = cluster.node("n1");
      assert.deepEqual(await requestOnce(n1.ip, "n1", { type: "echo", echo: "ping" }, 3000), {
        type: "echo_ok",
        echo: "ping",
        in_reply_to: 1,
      });
      const where = (await requestOnce(n1.ip, "n1", { type: "where" }, 3000)) as Body;
      assert.equal(where.cwd, BIN_DIR, "runs from its own folder");
      assert.deepEqual(where.argv, ["--greeting", "hi there"], "--bin-arg arrives intact");
      assert.equal(where.loud, "HI!", "a module in a sub-package imports");
      const py = await cluster.exec("n1", ["python", "--version"]);
      assert.match(py.stdout + py.stderr, /^Python 3\./, "the image has `python`");
    } finally {
      await cluster.teardown();
    }
  });

  test("a missing interpreter fails readiness within seconds, naming it", async () => {
    const root = await folder({ "node.rb": "require_relative 'helper'\n", "helper.rb": "" });
    const target = await binTarget({ path: path.join(root, "node.rb") });
    const cluster = await createCluster({ nodes: 1, ...(await target.clusterSpec({ nodes: 1 })) });
    try {
      // The readiness wait fails at once with the node's reason, not after its timeout.
      const started = Date.now();
      await assert.rejects(target.awaitReady(cluster, 30_000), (err: Error) => {
        assert.match(err.message, /ruby: not found in the node image/);
        return true;
      });
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
      assert.match(
        await cluster.logs("n1"),
        /\[n1\] ruby: not found in the node image; add its Debian package with --image-packages/,
      );
    } finally {
      await cluster.teardown();
    }
  });

  test("--image-packages ruby: an image with ruby, built once; a Ruby node with require_relative runs in it", async () => {
    const tag = await ensureImageWithPackages(["ruby"]);
    assert.match(tag, /^faultline-node-extra:[0-9a-f]{12}$/);
    const t0 = Date.now();
    assert.equal(await ensureImageWithPackages(["ruby", "ruby"]), tag, "same set, same tag");
    assert.ok(Date.now() - t0 < 2000, `second call took ${Date.now() - t0} ms`);

    const root = await folder({
      "node.rb": `require 'json'
require_relative 'lib/reply'
$stdout.sync = true
STDIN.each_line do |line|
  msg = JSON.parse(line)
  body = msg['body']
  out = body['type'] == 'init' ? { 'type' => 'init_ok' } : { 'type' => 'echo_ok', 'echo' => Reply.shape(body['echo']) }
  out['in_reply_to'] = body['msg_id']
  puts JSON.generate({ 'src' => msg['dest'], 'dest' => msg['src'], 'body' => out })
end
`,
      "lib/reply.rb": 'module Reply\n  def self.shape(x) = "ruby says #{x}"\nend\n',
    });
    const target = await binTarget({ path: path.join(root, "node.rb"), imagePackages: ["ruby"] });
    const spec = await target.clusterSpec({ nodes: 1 });
    assert.deepEqual(spec.imagePackages, ["ruby"], "the runtime builds the image");
    const cluster = await createCluster({ nodes: 1, ...spec });
    try {
      const v = await cluster.exec("n1", ["ruby", "-v"]);
      assert.match(v.stdout, /^ruby 3\./);
      await target.awaitReady(cluster, 20_000);
      const n1 = cluster.node("n1");
      const reply = (await requestOnce(n1.ip, "n1", { type: "echo", echo: "hi" }, 3000)) as Body;
      assert.equal(reply.echo, "ruby says hi");
    } finally {
      await cluster.teardown();
    }
  });

  test("a package apt cannot find fails with apt's reason, naming it", async () => {
    await rejectsUser(
      ensureImageWithPackages(["ruby", "faultline-no-such-package"]),
      /^--image-packages: apt cannot install faultline-no-such-package: Unable to locate package faultline-no-such-package\.$/,
    );
  });
});
