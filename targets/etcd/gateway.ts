// One etcd member's v3 HTTP/JSON gateway (the gRPC gateway etcd serves on its client port):
// POST a JSON body to /v3/..., get the JSON answer back. What this module decides is what
// *no answer* means, and it keeps the cases apart that a client must not confuse:
//   refused  the connection was never made: nothing was sent (definite)
//   timeout  no answer in time: the request may still take effect (unknown)
//   lost     the connection broke once the request may have been sent (unknown)
// Anything etcd answered, error or not, is an `answer`; outcomes.ts says what it means.
import * as http from "node:http";
import type { Socket } from "node:net";

/** etcd's client port (the gRPC API and its JSON gateway share it). */
export const CLIENT_PORT = 2379;

export type GatewayReply =
  | { kind: "answer"; status: number; body: unknown; text: string }
  | { kind: "refused"; error: string }
  | { kind: "timeout" }
  | { kind: "lost"; error: string };

/** Errors of connect(2): raised only before a connection exists, so before any byte left. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/** Requests to one member over one kept-alive connection (one request at a time). */
export class Gateway {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    readonly host: string,
    readonly port = CLIENT_PORT,
  ) {}

  /** POST `body` as JSON; `headers` are extra HTTP headers (the gateway passes those named
   *  Grpc-Metadata-* on to etcd as gRPC metadata). */
  post(
    path: string,
    body: unknown,
    timeoutMs: number,
    headers: Record<string, string> = {},
  ): Promise<GatewayReply> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise<GatewayReply>((resolve) => {
      let settled = false;
      // Whether a connection existed at some point: a connect error before it is definite.
      let connected = false;
      const done = (reply: GatewayReply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(reply);
      };
      const req = http.request({
        host: this.host,
        port: this.port,
        path,
        method: "POST",
        agent: this.agent,
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": payload.length,
        },
      });
      const timer = setTimeout(() => {
        done({ kind: "timeout" });
        // The socket may hold a half-read answer: never reuse it.
        req.destroy();
      }, timeoutMs);
      req.on("socket", (socket: Socket) => {
        if (!socket.connecting)
          connected = true; // a kept-alive connection
        else socket.once("connect", () => (connected = true));
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        const code = err.code ?? err.message;
        if (!connected && CONNECT_ERRORS.has(code)) done({ kind: "refused", error: code });
        else done({ kind: "lost", error: code });
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err: NodeJS.ErrnoException) =>
          done({ kind: "lost", error: err.code ?? err.message }),
        );
        res.on("aborted", () => done({ kind: "lost", error: "answer cut short" }));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          done({ kind: "answer", status: res.statusCode ?? 0, body: parseJson(text), text });
        });
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
