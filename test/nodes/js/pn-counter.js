#!/usr/bin/env node
"use strict";
// pn-counter workload: {type: add, delta} -> add_ok; {type: read} -> {type: read_ok, value}.
//
// A state-based PN-counter CRDT: each node keeps node id -> [increments, decrements], only
// ever raises its own entry, and merges a peer's map entry by entry with max (idempotent, so
// duplicates and re-sends are harmless). The whole map goes to every peer every 200 ms; a
// lost datagram is repaired by the next round. The map is fsync'd to FAULTLINE_DATA_DIR
// before add_ok, so a killed node comes back with every delta it acknowledged. The value is
// the sum of increments minus the sum of decrements. Works for g-counter too.
//
// --wrong (or pn-counter-wrong.js): merges by sum instead of max: on every gossip round it
// adds the sender's own entry to its copy of it, so the same deltas are counted again and
// again and reads drift away from any possible sum (linearly, not exponentially, so the
// numbers stay readable in a long run).
const { Node, wrongFlag } = require("./lib.js");

const GOSSIP_MS = 200;

function main({ wrong = false } = {}) {
  const node = new Node(wrong ? "pn-counter-wrong" : "pn-counter");
  let counts = {}; // node id -> [increments, decrements]

  const value = () => Object.values(counts).reduce((sum, [p, n]) => sum + p - n, 0);

  node.onInit(() => {
    const stored = wrong ? {} : node.load("counts.json", {});
    for (const [k, v] of Object.entries(stored)) counts[k] = [Number(v[0]), Number(v[1])];
    node.every(GOSSIP_MS, () => {
      for (const peer of node.peers()) node.send(peer, { type: "counter_state", counts });
    });
  });

  node.on("add", (msg) => {
    const delta = Number(msg.body.delta);
    const mine = [...(counts[node.nodeId] || [0, 0])];
    if (delta >= 0) mine[0] += delta;
    else mine[1] -= delta;
    const updated = { ...counts, [node.nodeId]: mine };
    if (!wrong) node.save("counts.json", updated); // durable before the acknowledgement
    counts = updated;
    node.reply(msg, { type: "add_ok" });
  });

  node.on("read", (msg) => {
    node.reply(msg, { type: "read_ok", value: value() });
  });

  node.on("counter_state", (msg) => {
    let changed = false;
    for (const [k, v] of Object.entries(msg.body.counts || {})) {
      const mine = counts[k] || [0, 0];
      let merged;
      if (wrong) {
        if (k !== msg.src) continue;
        merged = [mine[0] + Number(v[0]), mine[1] + Number(v[1])];
      } else {
        merged = [Math.max(mine[0], Number(v[0])), Math.max(mine[1], Number(v[1]))];
      }
      if (merged[0] !== mine[0] || merged[1] !== mine[1]) {
        counts[k] = merged;
        changed = true;
      }
    }
    if (changed && !wrong) node.save("counts.json", counts);
  });

  node.run();
}

module.exports = { main };
if (require.main === module) main({ wrong: wrongFlag() });
