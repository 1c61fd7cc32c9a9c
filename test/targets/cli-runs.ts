// The targets' end-to-end tests run the real CLI against real containers: they need a Docker
// engine (and fail saying so without one), and read back the run the CLI stored.
import { before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";

const root = new URL("../../", import.meta.url).pathname;

/** Fails every test of the file, with the command that fixes it, when no Docker engine runs. */
export function needDocker(): void {
  before(async () => {
    assert.ok(
      await dockerAvailable(),
      "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
    );
  });
}

/** A fresh store folder for one test file's runs. */
export function tempStore(name: string): string {
  return mkdtempSync(join(tmpdir(), `faultline-${name}-`));
}

/** `bin/faultline <args>`: its exit code, its whole output, and the run it stored (with
 *  --test-count, the last one: the one that stopped the series). */
export async function storedRun(args: string[]) {
  const r = await execa(join(root, "bin/faultline"), args, { cwd: root, reject: false, all: true });
  const dir = [...(r.all ?? "").matchAll(/Stored in (\S+)/g)].at(-1)?.[1];
  assert.ok(dir, `the run was stored:\n${r.all}`);
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  return { code: r.exitCode, output: r.all ?? "", dir, results };
}
