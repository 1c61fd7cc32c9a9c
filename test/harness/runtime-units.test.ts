// Pure parts of the runtime (no Docker): iptables rule text, clock file text, tar encoding.
import assert from "node:assert/strict";
import { test } from "node:test";
import { faketimeSpec } from "../../harness/runtime/clock.ts";
import { renderRules, noFaults } from "../../harness/runtime/rules.ts";
import { firstFileOf, tarOf } from "../../harness/runtime/tar.ts";

const peers = ["10.0.0.12", "10.0.0.13"];

test("no faults render to empty Faultline chains and nothing else", () => {
  const text = renderRules(noFaults(), peers);
  assert.equal(text.match(/^-A /gm), null);
  assert.match(text, /^:FAULTLINE-IN - \[0:0\]$/m);
  assert.doesNotMatch(text, /INPUT|OUTPUT|-F FAULTLINE-(?!IN|OUT)/);
});

test("a grudge drops only the named sources, on the way in", () => {
  const f = noFaults();
  f.dropFrom.add("10.0.0.13");
  const rules = renderRules(f, peers).match(/^-A .*$/gm);
  assert.deepEqual(rules, ["-A FAULTLINE-IN -s 10.0.0.13/32 -j DROP"]);
});

test("omission faults cover every peer in their direction; loss both directions", () => {
  const deaf = { ...noFaults(), deaf: true };
  assert.equal(renderRules(deaf, peers).match(/-A FAULTLINE-IN -s .* -j DROP/g)?.length, 2);
  const mute = { ...noFaults(), mute: true };
  assert.equal(renderRules(mute, peers).match(/-A FAULTLINE-OUT -d .* -j DROP/g)?.length, 2);
  const lossy = renderRules({ ...noFaults(), loss: 0.25 }, peers);
  assert.equal(lossy.match(/--probability 0\.250000 -j DROP/g)?.length, 4);
});

test("clock offsets are written in libfaketime's relative form", () => {
  assert.equal(faketimeSpec(5), "+5\n");
  assert.equal(faketimeSpec(0), "+0\n");
  assert.equal(faketimeSpec(-2.5), "-2.5\n");
  assert.throws(() => faketimeSpec(Number.NaN));
});

test("a tar archive round-trips a file, long paths included", () => {
  const long = "data/" + "d".repeat(120) + "/file.txt";
  const bytes = Buffer.from("hello\0world");
  const tar = tarOf([{ path: long, content: bytes, mode: 0o755 }]);
  assert.equal(tar.length % 512, 0);
  assert.deepEqual(firstFileOf(tar), bytes);
});
