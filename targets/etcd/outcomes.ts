// The lin-kv workload's operations in etcd's v3 JSON API, and what each answer means. Pure
// functions (no I/O), so every mapping is tested without a cluster (test/targets/etcd.test.ts).
//
// Requests: keys and values are bytes, base64 in JSON. A value is the JSON text of the
// workload's value (the number 7 is stored as "7"), so a read gives back exactly what was written.
//   read   POST /v3/kv/range {key}                 (serializable: true in the weak variant)
//   write  POST /v3/kv/put   {key, value}
//   cas    POST /v3/kv/txn   {compare: [value of key == from], success: [put key to]}
// Writes and cas require a leader (REQUIRE_LEADER, what etcd's Go client calls
// WithRequireLeader): a member that knows no leader (cut off, or mid-election) refuses them at
// once with "etcdserver: no leader", a definite fail, where it would otherwise hold them until
// the client's timeout, an unknown outcome. Unknown writes are what make a history expensive to
// check; reads stay as etcd answers them by default.
//
// Outcomes: `ok` when etcd answered the operation; `fail` only when it certainly did not take
// effect; `info` otherwise. A read changes nothing, so a read that got no value is `fail`
// whatever the reason (an error, a lost connection), except a timeout, which the harness
// always records as `info`. A write or cas is `fail` only for:
//   - a refused connection: nothing was sent;
//   - a cas whose compare failed: etcd applied the transaction's (empty) failure branch;
//   - etcd errors raised before the request is proposed to Raft (DEFINITE_ERRORS).
// Everything else is `info`: a proposal that timed out ("context deadline exceeded",
// "etcdserver: request timed out"), "leader changed" or "server stopped" may still commit.
import { UserError } from "../../core/errors.ts";
import type { ClientOp, Completion } from "../types.ts";
import type { GatewayReply } from "./gateway.ts";

export const PATHS = { read: "/v3/kv/range", write: "/v3/kv/put", cas: "/v3/kv/txn" } as const;

/** gRPC metadata hasleader=true, as an HTTP header the gateway passes on: etcd's interceptor
 *  then refuses the request before its handler when the member knows no leader. */
export const REQUIRE_LEADER = { "Grpc-Metadata-hasleader": "true" } as const;

/** etcd errors that come before a request is proposed, so it certainly never took effect. */
export const DEFINITE_ERRORS: Record<string, string> = {
  // Checked before proposing: the applied index lags the committed one by too much.
  "etcdserver: too many requests": "refused before proposing (apply backlog)",
  // Checked before proposing: the marshalled request exceeds --max-request-bytes.
  "etcdserver: request is too large": "refused before proposing (size)",
  // The local Raft node dropped the proposal (no leader known, or a leadership transfer):
  // it was appended to no log.
  "raft proposal dropped": "dropped by the local Raft node before any log held it",
  // Raised where a member checks for a leader before doing anything (the interceptor of
  // require-leader requests, REQUIRE_LEADER; lease forwarding), never after a proposal.
  "etcdserver: no leader": "refused before proposing (no leader)",
  // The cluster version does not support the request yet (checked before the handler).
  "etcdserver: not capable": "refused before proposing (capability)",
};

/** gRPC's InvalidArgument, the gateway's 400: the request was rejected before the server. */
const INVALID_ARGUMENT = 3;

/** base64 of a string's UTF-8 bytes, as etcd's JSON API carries bytes. */
export function toBase64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** The workload's value as stored bytes (base64 of its JSON text). */
export function encodeValue(value: unknown): string {
  return toBase64(JSON.stringify(value));
}

/** A stored value back to the workload's value; a value not written as JSON stays text. */
export function decodeValue(base64: string): unknown {
  const text = Buffer.from(base64, "base64").toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface EtcdRequest {
  path: string;
  body: Record<string, unknown>;
  /** Extra HTTP headers (REQUIRE_LEADER for writes and cas). */
  headers: Record<string, string>;
}

/** The gateway path, JSON body and headers for an operation. */
export function requestFor(op: ClientOp, reads: "linearizable" | "serializable"): EtcdRequest {
  if (op.key === undefined)
    throw new UserError(`an etcd ${op.f} needs a key; the lin-kv workload gives one`);
  const key = toBase64(op.key);
  switch (op.f) {
    case "read":
      return {
        path: PATHS.read,
        body: reads === "serializable" ? { key, serializable: true } : { key },
        headers: {},
      };
    case "write":
      return {
        path: PATHS.write,
        body: { key, value: encodeValue(op.value) },
        headers: { ...REQUIRE_LEADER },
      };
    case "cas": {
      if (!Array.isArray(op.value) || op.value.length !== 2)
        throw new UserError(
          `a cas operation needs value [from, to], got ${JSON.stringify(op.value)}`,
        );
      const [from, to] = op.value;
      return {
        path: PATHS.cas,
        body: {
          compare: [{ key, target: "VALUE", result: "EQUAL", value: encodeValue(from) }],
          success: [{ request_put: { key, value: encodeValue(to) } }],
        },
        headers: { ...REQUIRE_LEADER },
      };
    }
    default:
      throw new UserError(`the etcd target runs read, write and cas (lin-kv), not "${op.f}"`);
  }
}

/** What an answer (or no answer) to `op` means. */
export function completionOf(op: ClientOp, reply: GatewayReply): Completion {
  const read = op.f === "read";
  switch (reply.kind) {
    case "refused":
      return { type: "fail", error: `connection refused (${reply.error})` };
    case "timeout":
      return { type: "info", error: "timeout" };
    case "lost":
      return { type: read ? "fail" : "info", error: `connection lost (${reply.error})` };
    case "answer":
      break;
  }
  const body = reply.body as Record<string, unknown> | undefined;
  if (reply.status !== 200 || !isObject(body) || !isObject(body.header)) {
    const error = errorOf(reply);
    if (read) return { type: "fail", error: error.text };
    return { type: isDefinite(error) ? "fail" : "info", error: error.text };
  }
  if (op.f === "read") return { type: "ok", value: readValue(body) };
  if (op.f === "write") return { type: "ok" };
  // A txn answered with a header was applied: its compare held (succeeded) or it did not.
  return body.succeeded === true
    ? { type: "ok" }
    : { type: "fail", error: "compare failed: the key did not hold the expected value" };
}

/** A range answer's value: the single key's value, or null when the key does not exist. */
function readValue(body: Record<string, unknown>): unknown {
  const kvs = body.kvs;
  if (!Array.isArray(kvs) || kvs.length === 0) return null;
  const value = (kvs[0] as { value?: unknown }).value;
  // etcd leaves out empty fields: a key holding "" has no value field.
  return typeof value === "string" ? decodeValue(value) : decodeValue("");
}

interface EtcdError {
  status: number;
  code?: number;
  message: string;
  text: string;
}

/** The gateway's error body ({error, message, code}) or, failing that, the raw answer. */
export function errorOf(reply: Extract<GatewayReply, { kind: "answer" }>): EtcdError {
  const body = reply.body as { error?: unknown; message?: unknown; code?: unknown } | undefined;
  const message = isObject(body)
    ? String(body.message ?? body.error ?? JSON.stringify(body))
    : reply.text.slice(0, 200) || "(empty answer)";
  const code = isObject(body) && typeof body.code === "number" ? body.code : undefined;
  return { status: reply.status, code, message, text: `etcd ${reply.status}: ${message}` };
}

function isDefinite(error: EtcdError): boolean {
  return error.message in DEFINITE_ERRORS || error.code === INVALID_ARGUMENT;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
