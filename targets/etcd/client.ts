// The harness's client of one etcd member: the lin-kv operations over etcd's JSON gateway
// (gateway.ts), their meaning decided by outcomes.ts. No etcd client library: the requests
// are three JSON bodies, and owning them is what lets us say which errors are definite.
import { sleep } from "../../core/clock.ts";
import type { Client, ClientOp, Completion } from "../types.ts";
import { Gateway } from "./gateway.ts";
import { completionOf, requestFor } from "./outcomes.ts";

/** How long a refused op waits before it returns: the member is down (killed, restarting)
 *  and would refuse again at once; without it the worker only fills the history. */
const REFUSED_BACKOFF_MS = 100;

export interface EtcdClientOptions {
  /** "serializable": reads are answered from the member's own state (the weak variant). */
  reads: "linearizable" | "serializable";
}

export class EtcdClient implements Client {
  private readonly gateway: Gateway;

  constructor(
    host: string,
    private readonly opts: EtcdClientOptions,
    port?: number,
  ) {
    this.gateway = new Gateway(host, port);
  }

  async invoke(op: ClientOp, timeoutMs: number): Promise<Completion> {
    const { path, body, headers } = requestFor(op, this.opts.reads);
    const reply = await this.gateway.post(path, body, timeoutMs, headers);
    if (reply.kind === "refused") await sleep(Math.min(REFUSED_BACKOFF_MS, timeoutMs));
    return completionOf(op, reply);
  }

  async close(): Promise<void> {
    this.gateway.close();
  }
}
