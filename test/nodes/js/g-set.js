#!/usr/bin/env node
"use strict";
// g-set workload: {type: add, element} -> add_ok; {type: read} -> {type: read_ok, value}.
//
// A state-based grow-only set CRDT: merge is union. A new element is pushed to every peer at
// once (best effort), and every 500 ms the node sends its whole set to every peer (in chunks
// under 40 kB a datagram), so anything lost to a partition, a pause or a restart arrives with
// a later round. Elements are appended to FAULTLINE_DATA_DIR and fsync'd before add_ok.
//
// --wrong (or g-set-wrong.js): the element is pushed to the peers once and never again (no
// periodic exchange, nothing on disk): an add made while a node is cut off never reaches it.
const { Node, wrongFlag } = require("./lib.js");

const FULL_STATE_MS = 500;
const MAX_CHUNK_CHARS = 40000;

function main({ wrong = false } = {}) {
  const node = new Node(wrong ? "g-set-wrong" : "g-set");
  const elements = new Map(); // JSON text -> element

  function merge(values) {
    const fresh = [];
    for (const v of values) {
      const k = JSON.stringify(v);
      if (!elements.has(k)) {
        elements.set(k, v);
        fresh.push(v);
      }
    }
    if (!wrong) node.appendLines("elements.jsonl", fresh);
    return fresh;
  }

  function sendState() {
    const chunks = [];
    let chunk = [];
    let chars = 0;
    for (const [k, v] of elements) {
      if (chunk.length > 0 && chars + k.length + 1 > MAX_CHUNK_CHARS) {
        chunks.push(chunk);
        chunk = [];
        chars = 0;
      }
      chunk.push(v);
      chars += k.length + 1;
    }
    if (chunk.length > 0) chunks.push(chunk);
    for (const peer of node.peers()) {
      for (const c of chunks) node.send(peer, { type: "set_state", elements: c });
    }
  }

  node.onInit(() => {
    if (wrong) return;
    for (const v of node.readLines("elements.jsonl")) elements.set(JSON.stringify(v), v);
    if (elements.size > 0) node.log(`recovered ${elements.size} elements from disk`);
    node.every(FULL_STATE_MS, sendState);
  });

  node.on("add", (msg) => {
    const fresh = merge([msg.body.element]);
    for (const peer of node.peers()) {
      if (fresh.length > 0) node.send(peer, { type: "set_state", elements: fresh });
    }
    node.reply(msg, { type: "add_ok" });
  });

  node.on("read", (msg) => {
    node.reply(msg, { type: "read_ok", value: [...elements.values()] });
  });

  node.on("set_state", (msg) => {
    merge(msg.body.elements || []);
  });

  node.run();
}

module.exports = { main };
if (require.main === module) main({ wrong: wrongFlag() });
