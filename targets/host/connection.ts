// One TCP connection from the control process to a node host's client port: JSON messages,
// one per line, requests matched to replies by msg_id.
import * as net from "node:net";
import {
  parseJsonKeepingBigIntegers,
  stringifyKeepingBigIntegers,
} from "../../core/big-integers.ts";
import { onLines } from "./lines.ts";
import { CLIENT_PORT } from "./ports.ts";

import type { Body } from "../types.ts";

export type { Body };

/** Why a request got no reply: it may or may not have taken effect, except "refused". */
export type NoReply = "timeout" | "connection-lost" | "refused";

let clientCounter = 0;

export class HostConnection {
  /** This connection's client id (the `src` of its requests), unique in this process. */
  readonly clientId = `c${++clientCounter}`;
  private nextMsgId = 1;
  private waiting = new Map<number, (reply: Body | NoReply) => void>();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    onLines(socket, (line) => {
      let msg: { body?: Body };
      try {
        msg = parseJsonKeepingBigIntegers(line) as { body?: Body };
      } catch {
        return;
      }
      const id = msg.body?.in_reply_to;
      if (id === undefined) return;
      const resolve = this.waiting.get(id);
      this.waiting.delete(id);
      resolve?.(msg.body!);
    });
    const lost = () => {
      this.closed = true;
      for (const resolve of this.waiting.values()) resolve("connection-lost");
      this.waiting.clear();
    };
    socket.on("close", lost);
    socket.on("error", () => socket.destroy());
  }

  /** Connect to a host; rejects (with the reason) if it does not accept within timeoutMs. */
  static connect(host: string, port = CLIENT_PORT, timeoutMs = 2000): Promise<HostConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new HostConnection(socket));
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Send a request to `dest` and wait for the reply body, or say why there was none. */
  request(dest: string, body: Body, timeoutMs: number): Promise<Body | NoReply> {
    if (this.closed) return Promise.resolve("connection-lost");
    const msgId = this.nextMsgId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(msgId);
        resolve("timeout");
      }, timeoutMs);
      this.waiting.set(msgId, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      const msg = { src: this.clientId, dest, body: { ...body, msg_id: msgId } };
      this.socket.write(stringifyKeepingBigIntegers(msg) + "\n");
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 500).unref();
    });
  }
}

/** One request on a fresh connection (for readiness checks, leader queries, stats). */
export async function requestOnce(
  host: string,
  dest: string,
  body: Body,
  timeoutMs: number,
  port = CLIENT_PORT,
): Promise<Body | NoReply> {
  let conn: HostConnection;
  try {
    conn = await HostConnection.connect(host, port, timeoutMs);
  } catch {
    return "refused";
  }
  try {
    return await conn.request(dest, body, timeoutMs);
  } finally {
    await conn.close();
  }
}
