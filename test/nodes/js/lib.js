"use strict";
// A small helper for node programs speaking the Faultline / Maelstrom node protocol.
// Scripts beside this file require it (`const { Node } = require("./lib.js")`). It gives a
// message loop over stdin, replies and errors, RPCs with timeouts, timers, and durable files
// in FAULTLINE_DATA_DIR (each write fsync'd before it returns). Node.js 18, no packages.

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");

const codes = {
  TIMEOUT: 0,
  NOT_SUPPORTED: 10,
  TEMPORARILY_UNAVAILABLE: 11,
  KEY_DOES_NOT_EXIST: 20,
  PRECONDITION_FAILED: 22,
};

class Node {
  constructor(name = "node") {
    this.name = name;
    this.nodeId = null;
    this.nodeIds = [];
    this.handlers = new Map();
    this.initHooks = [];
    this.pending = new Map(); // msg_id -> { callback, timer }
    // Random start: a restarted node must not take late replies meant for its previous
    // incarnation as replies to its own new requests.
    this.nextMsgId = crypto.randomInt(1, 2 ** 40);
    this.dataDir = process.env.FAULTLINE_DATA_DIR || null;
  }

  on(type, handler) {
    this.handlers.set(type, handler);
  }

  onInit(hook) {
    this.initHooks.push(hook);
  }

  peers() {
    return this.nodeIds.filter((n) => n !== this.nodeId);
  }

  log(...parts) {
    process.stderr.write(`[${this.name} ${this.nodeId}] ${parts.join(" ")}\n`);
  }

  send(dest, body) {
    // stdout to a pipe is synchronous in Node on Linux: each line is out when this returns.
    process.stdout.write(JSON.stringify({ src: this.nodeId, dest, body }) + "\n");
  }

  reply(request, body) {
    this.send(request.src, { ...body, in_reply_to: request.body.msg_id });
  }

  error(request, code, text) {
    this.reply(request, { type: "error", code, text });
  }

  /** Send a request; callback(reply) once, or onTimeout() after timeoutMs. */
  rpc(dest, body, callback, timeoutMs, onTimeout) {
    const msgId = ++this.nextMsgId;
    const entry = { callback, timer: null };
    if (timeoutMs !== undefined) {
      entry.timer = setTimeout(() => {
        this.pending.delete(msgId);
        if (onTimeout) this.guard(onTimeout);
      }, timeoutMs);
    }
    this.pending.set(msgId, entry);
    this.send(dest, { ...body, msg_id: msgId });
    return msgId;
  }

  every(ms, fn) {
    return setInterval(() => this.guard(fn), ms);
  }

  after(ms, fn) {
    return setTimeout(() => this.guard(fn), ms);
  }

  // -- durable state ----------------------------------------------------------------------
  file(name) {
    return this.dataDir ? path.join(this.dataDir, name) : null;
  }

  load(name, fallback) {
    const file = this.file(name);
    if (!file || !fs.existsSync(file)) return fallback;
    try {
      return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      this.log(`cannot read ${file}: ${e.message}; starting from the default`);
      return fallback;
    }
  }

  save(name, value) {
    const file = this.file(name);
    if (!file) return;
    fs.mkdirSync(this.dataDir, { recursive: true });
    const tmp = file + ".tmp";
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, JSON.stringify(value));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    this.fsyncDir();
  }

  /** Append one JSON value per line, then fsync. */
  appendLines(name, values) {
    const file = this.file(name);
    if (!file || values.length === 0) return;
    fs.mkdirSync(this.dataDir, { recursive: true });
    const created = !fs.existsSync(file);
    const fd = fs.openSync(file, "a");
    try {
      fs.writeSync(fd, values.map((v) => JSON.stringify(v) + "\n").join(""));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (created) this.fsyncDir();
  }

  /** The values appended to `name`; a torn last line (a kill mid-write) is skipped. */
  readLines(name) {
    const file = this.file(name);
    if (!file || !fs.existsSync(file)) return [];
    const out = [];
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // torn write
      }
    }
    return out;
  }

  fsyncDir() {
    const fd = fs.openSync(this.dataDir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  // -- the loop ------------------------------------------------------------------------------
  guard(fn, ...args) {
    try {
      fn(...args);
    } catch (e) {
      this.log(`error: ${e && e.stack ? e.stack : e}`);
    }
  }

  handle(msg) {
    const body = msg.body || {};
    if (body.type === "init") {
      this.nodeId = body.node_id;
      this.nodeIds = [...body.node_ids];
      for (const hook of this.initHooks) hook();
      this.log(`started; nodes ${this.nodeIds.join(",")}`);
      this.reply(msg, { type: "init_ok" });
      return;
    }
    if (body.in_reply_to !== undefined && body.in_reply_to !== null) {
      const entry = this.pending.get(body.in_reply_to);
      if (entry) {
        this.pending.delete(body.in_reply_to);
        if (entry.timer) clearTimeout(entry.timer);
        entry.callback(msg);
        return;
      }
      if (!this.handlers.has(body.type)) return; // a late reply to a request we gave up on
    }
    const handler = this.handlers.get(body.type);
    if (!handler) {
      if (body.in_reply_to === undefined) {
        this.error(msg, codes.NOT_SUPPORTED, `unsupported request ${body.type}`);
      }
      return;
    }
    handler(msg);
  }

  run() {
    let buffer = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop();
      for (const raw of lines) {
        const line = raw.trim();
        if (!line) continue;
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          this.log(`not JSON, ignored: ${line.slice(0, 200)}`);
          continue;
        }
        this.guard(() => this.handle(msg));
      }
    });
    process.stdin.on("end", () => process.exit(0));
    process.stdout.on("error", () => process.exit(0));
  }
}

/** Run `main` with wrong = true when the script got --wrong. */
function wrongFlag() {
  return process.argv.slice(2).includes("--wrong");
}

module.exports = { Node, codes, wrongFlag };
