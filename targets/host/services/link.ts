// The service links: one TCP connection from the control process to each node host's client
// port, over which the host sends every message its program addresses to a service (lin-kv,
// seq-kv, lww-kv) and the control process answers from its stores (kv-store.ts). A link that
// breaks (the node was killed or restarted) is opened again, polling every few hundred ms for
// as long as the services run.
import * as net from "node:net";
import {
  parseJsonKeepingBigIntegers,
  stringifyKeepingBigIntegers,
} from "../../../core/big-integers.ts";
import { onLines } from "../lines.ts";
import type { Body } from "../../types.ts";
import { KvStores } from "./kv-store.ts";
import { SERVICE_NAMES, isServiceName } from "./names.ts";

/** Where one node host listens for clients. */
export interface ServiceEndpoint {
  node: string;
  host: string;
  port: number;
}

/** The src of the link's own messages (services_attach). */
export const SERVICE_LINK_ID = "services";
/** How long the link waits between attempts to (re)connect to a host. */
export const RECONNECT_MS = 250;

/** The running services: their stores, and a way to stop every link. */
export interface HostServices {
  readonly stores: KvStores;
  /** Whether a node's link is attached right now. */
  attached(node: string): boolean;
  stop(): Promise<void>;
}

interface Incoming {
  src?: unknown;
  dest?: unknown;
  body?: Body;
}

/** Keeps one link to one host attached while `running`. */
class ServiceLink {
  private socket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  isAttached = false;

  constructor(
    private readonly endpoint: ServiceEndpoint,
    private readonly stores: KvStores,
  ) {}

  start(): void {
    this.connect();
  }

  private retry(): void {
    this.isAttached = false;
    this.socket = undefined;
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, RECONNECT_MS);
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = net.connect({ host: this.endpoint.host, port: this.endpoint.port });
    this.socket = socket;
    socket.setNoDelay(true);
    // A connect that hangs (a paused node) is given up and tried again.
    socket.setTimeout(2000, () => {
      if (!this.isAttached) socket.destroy();
    });
    socket.on("connect", () => {
      const attach = {
        src: SERVICE_LINK_ID,
        dest: this.endpoint.node,
        body: { type: "services_attach", msg_id: 1, services: [...SERVICE_NAMES] },
      };
      socket.write(stringifyKeepingBigIntegers(attach) + "\n");
    });
    onLines(socket, (line) => this.onLine(socket, line));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (this.socket === socket) this.retry();
    });
  }

  private onLine(socket: net.Socket, line: string): void {
    let msg: Incoming;
    try {
      msg = parseJsonKeepingBigIntegers(line) as Incoming;
    } catch {
      return;
    }
    const body = msg.body;
    if (!body || typeof body.type !== "string") return;
    if (body.type === "services_attach_ok") {
      this.isAttached = true;
      socket.setTimeout(0);
      return;
    }
    if (!isServiceName(msg.dest) || typeof msg.src !== "string") return;
    const reply = this.stores.store(msg.dest).handle(body);
    const out = { src: msg.dest, dest: msg.src, body: { ...reply, in_reply_to: body.msg_id } };
    socket.write(stringifyKeepingBigIntegers(out) + "\n");
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    this.isAttached = false;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once("close", () => resolve());
      socket.destroy();
    });
  }
}

/** Open a service link to each endpoint (retrying until each host listens) and serve the
 *  services from `stores` until stopped. Resolves at once: the links attach as hosts come up. */
export function startServiceLinks(
  endpoints: ServiceEndpoint[],
  stores = new KvStores(),
): HostServices {
  const links = new Map(endpoints.map((e) => [e.node, new ServiceLink(e, stores)]));
  for (const link of links.values()) link.start();
  return {
    stores,
    attached: (node) => links.get(node)?.isAttached ?? false,
    async stop() {
      await Promise.all([...links.values()].map((l) => l.stop()));
    },
  };
}
