#!/usr/bin/env node
"use strict";
// kafka workload the way many Gossip Glomers solutions do it: no state in the node at all.
// A send takes the next offset of its key by read + cas on the `lin-kv` service (retried on
// contention), then writes the message at `msg_<key>_<offset>`; a poll reads messages from the
// offset asked for, stopping at the first one missing and after POLL_MAX of them (Maelstrom
// lets a poll return part of a log); committed offsets are plain lin-kv keys. Written with
// its own small RPC layer (no lib.js), as a program from outside would be.
const readline = require("readline");

const POLL_MAX = 20;
const RPC_TIMEOUT_MS = 1000;
let nodeId = null;
let nextMsgId = 1;
const waiting = new Map();

function send(dest, body) {
  process.stdout.write(JSON.stringify({ src: nodeId, dest, body }) + "\n");
}

function rpc(dest, body) {
  return new Promise((resolve) => {
    const id = nextMsgId++;
    waiting.set(id, resolve);
    setTimeout(() => {
      if (waiting.delete(id)) resolve({ type: "error", code: 0, text: "rpc timeout" });
    }, RPC_TIMEOUT_MS);
    send(dest, { ...body, msg_id: id });
  });
}

const kv = (body) => rpc("lin-kv", body);

async function nextOffset(key) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const read = await kv({ type: "read", key: `next_${key}` });
    const n = read.type === "read_ok" ? read.value : 0;
    const cas = await kv({
      type: "cas",
      key: `next_${key}`,
      from: n,
      to: n + 1,
      create_if_not_exists: true,
    });
    if (cas.type === "cas_ok") return n;
  }
  return undefined;
}

const handlers = {
  async send(b) {
    const offset = await nextOffset(b.key);
    if (offset === undefined) return { type: "error", code: 11, text: "offset contention" };
    const w = await kv({ type: "write", key: `msg_${b.key}_${offset}`, value: b.msg });
    // Not stored: whether it will be is unknown (code 0), so the client records info.
    if (w.type !== "write_ok") return { type: "error", code: 0, text: "store failed" };
    return { type: "send_ok", offset };
  },
  async poll(b) {
    const msgs = {};
    for (const [key, start] of Object.entries(b.offsets)) {
      msgs[key] = [];
      for (let o = start; o < start + POLL_MAX; o++) {
        const r = await kv({ type: "read", key: `msg_${key}_${o}` });
        if (r.type !== "read_ok") break;
        msgs[key].push([o, r.value]);
      }
    }
    return { type: "poll_ok", msgs };
  },
  async commit_offsets(b) {
    for (const [key, offset] of Object.entries(b.offsets))
      await kv({ type: "write", key: `commit_${key}`, value: offset });
    return { type: "commit_offsets_ok" };
  },
  async list_committed_offsets(b) {
    const offsets = {};
    for (const key of b.keys) {
      const r = await kv({ type: "read", key: `commit_${key}` });
      if (r.type === "read_ok") offsets[key] = r.value;
    }
    return { type: "list_committed_offsets_ok", offsets };
  },
};

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  const msg = JSON.parse(line);
  const b = msg.body;
  if (b.in_reply_to !== undefined && waiting.has(b.in_reply_to)) {
    const resolve = waiting.get(b.in_reply_to);
    waiting.delete(b.in_reply_to);
    return resolve(b);
  }
  let reply;
  if (b.type === "init") {
    nodeId = b.node_id;
    reply = { type: "init_ok" };
  } else if (handlers[b.type]) reply = await handlers[b.type](b);
  else reply = { type: "error", code: 10, text: `unsupported ${b.type}` };
  send(msg.src, { ...reply, in_reply_to: b.msg_id });
});
