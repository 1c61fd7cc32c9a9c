// For each Maelstrom workload, a deliberately wrong node program (test/nodes/README.md) run
// with `--bin` against real containers under partitions is caught (exit 1), and `faultline
// check` of the stored run catches it again. Also: a program whose interpreter the node image
// lacks fails fast, naming it.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT } from "../../core/errors.ts";
import { PROGRAMS, needDocker, recheck, runBin } from "./bin-runs.ts";

before(needDocker);

for (const { workload, wrong } of PROGRAMS) {
  test(`${workload}: ${wrong} is caught`, async () => {
    const r = await runBin(wrong, workload);
    assert.equal(r.code, EXIT.invalid, r.output);
    assert.match(r.output, /Verdict: .*INVALID/);
    const again = await recheck(r.dir!);
    assert.equal(again.code, EXIT.invalid, again.output);
  });
}

test("a program whose interpreter is missing fails within seconds, naming it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultline-ruby-"));
  const script = join(dir, "node.rb");
  writeFileSync(script, "#!/usr/bin/env ruby\nputs 'never'\n");
  chmodSync(script, 0o755);
  const r = await runBin(script, "echo");
  assert.equal(r.code, EXIT.environment, r.output);
  assert.match(r.output, /n\d's program could not start: .*ruby/);
  // The whole CLI run (start-up, cluster, readiness, teardown) within 20 s; the readiness
  // wait itself is measured in test/targets/docker-host-services.test.ts.
  assert.ok(r.seconds < 20, `took ${r.seconds.toFixed(1)} s`);
});
