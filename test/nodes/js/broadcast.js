#!/usr/bin/env node
"use strict";
// broadcast workload: {type: broadcast, message} -> broadcast_ok; {type: read} ->
// {type: read_ok, messages}; {type: topology, topology} -> topology_ok.
//
// Reliable gossip: for every peer the node keeps the messages that peer has not yet
// acknowledged, and every 150 ms sends them (batched, under 40 kB a datagram) in `gossip`;
// the peer stores them and answers `gossip_ok` listing them, and only then are they dropped
// from the queue. So a message is retried until every node has it, across partitions and
// pauses. Messages are appended to FAULTLINE_DATA_DIR and fsync'd before broadcast_ok and
// before gossip_ok. A (re)started node queues everything it has for every peer and asks each
// peer to `resync` (retried until answered): the peer queues everything it has for it, so a
// node that lost its disk, or missed messages while down, gets them back (anti-entropy).
// The suggested topology is acknowledged and logged; gossip goes to every node, which needs
// no topology to survive a restart.
//
// --wrong (or broadcast-wrong.js): a broadcast is sent to each other node once, never
// retried, never stored on disk: a message lost to a partition is lost for good.
const { Node, wrongFlag } = require("./lib.js");

const TICK_MS = 150;
const MAX_BATCH_CHARS = 40000;

function main({ wrong = false } = {}) {
  const node = new Node(wrong ? "broadcast-wrong" : "broadcast");
  const messages = new Map(); // JSON text -> message
  const unacked = new Map(); // peer -> Map(JSON text -> message)
  const resyncPending = new Set(); // peers that have not answered our resync yet

  function queueFor(peer) {
    if (!unacked.has(peer)) unacked.set(peer, new Map());
    return unacked.get(peer);
  }

  /** Add new messages; durable before return. `from` already has them. */
  function addAll(values, from) {
    const fresh = [];
    for (const v of values) {
      const k = JSON.stringify(v);
      if (!messages.has(k)) {
        messages.set(k, v);
        fresh.push([k, v]);
      }
    }
    if (fresh.length === 0 || wrong) return fresh;
    node.appendLines(
      "messages.jsonl",
      fresh.map(([, v]) => v),
    );
    for (const peer of node.peers()) {
      if (peer === from) continue;
      const q = queueFor(peer);
      for (const [k, v] of fresh) q.set(k, v);
    }
    return fresh;
  }

  function tick() {
    for (const peer of node.peers()) {
      const q = queueFor(peer);
      if (q.size > 0) {
        const batch = [];
        let chars = 0;
        for (const v of q.values()) {
          const size = JSON.stringify(v).length + 1;
          if (batch.length > 0 && chars + size > MAX_BATCH_CHARS) break;
          batch.push(v);
          chars += size;
        }
        node.send(peer, { type: "gossip", messages: batch });
      }
      if (resyncPending.has(peer)) node.send(peer, { type: "resync" });
    }
  }

  node.onInit(() => {
    if (wrong) return;
    const stored = node.readLines("messages.jsonl");
    for (const v of stored) messages.set(JSON.stringify(v), v);
    for (const peer of node.peers()) {
      const q = queueFor(peer);
      for (const [k, v] of messages) q.set(k, v);
      resyncPending.add(peer);
    }
    if (stored.length > 0) node.log(`recovered ${messages.size} messages from disk`);
    node.every(TICK_MS, tick);
  });

  node.on("topology", (msg) => {
    node.log(`topology ${JSON.stringify(msg.body.topology)} (gossip goes to every node)`);
    node.reply(msg, { type: "topology_ok" });
  });

  node.on("broadcast", (msg) => {
    const fresh = addAll([msg.body.message], null);
    if (wrong) {
      for (const peer of node.peers()) {
        for (const [, v] of fresh) node.send(peer, { type: "gossip", messages: [v] });
      }
    }
    node.reply(msg, { type: "broadcast_ok" });
  });

  node.on("read", (msg) => {
    node.reply(msg, { type: "read_ok", messages: [...messages.values()] });
  });

  node.on("gossip", (msg) => {
    const values = msg.body.messages || [];
    addAll(values, msg.src);
    if (!wrong) node.send(msg.src, { type: "gossip_ok", messages: values });
  });

  node.on("gossip_ok", (msg) => {
    const q = queueFor(msg.src);
    for (const v of msg.body.messages || []) q.delete(JSON.stringify(v));
  });

  node.on("resync", (msg) => {
    if (wrong) return;
    const q = queueFor(msg.src);
    for (const [k, v] of messages) q.set(k, v);
    node.send(msg.src, { type: "resync_ok" });
  });

  node.on("resync_ok", (msg) => {
    resyncPending.delete(msg.src);
  });

  node.run();
}

module.exports = { main };
if (require.main === module) main({ wrong: wrongFlag() });
