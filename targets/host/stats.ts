// Message counters by body type, for messages-per-operation figures.
import { randomBytes } from "node:crypto";

export class Counters {
  private counts: Record<string, number> = {};
  add(type: string): void {
    this.counts[type] = (this.counts[type] ?? 0) + 1;
  }
  snapshot(): Record<string, number> {
    return { ...this.counts };
  }
}

export class HostStats {
  /** Names this host process's life: a node killed and restarted counts from 0 again under
   *  a new boot id, so a reader adding up counts over a run knows to start afresh. */
  readonly boot = randomBytes(6).toString("hex");
  /** Messages this node sent to other nodes. */
  readonly sent = new Counters();
  /** Messages this node received from other nodes. */
  readonly received = new Counters();
  /** Messages dropped by the host (too large, client gone, no service link). */
  readonly dropped = new Counters();
  /** Requests from clients, and replies to them. */
  readonly clientIn = new Counters();
  readonly clientOut = new Counters();
  /** Messages to clients this host does not hold, relayed (once each) to the other hosts. */
  readonly relayed = new Counters();
  /** Messages relayed by another host that this host wrote to its own client. */
  readonly relayDelivered = new Counters();
  /** Requests the program sent to a service (lin-kv, ...), and the services' replies. */
  readonly serviceOut = new Counters();
  readonly serviceIn = new Counters();
  /** Messages an interceptor rule took, by rule action (drop, delay, flip, ...). */
  readonly intercepted = new Counters();
  /** Messages received whose `src` was not the node that sent them (authenticated targets
   *  only), by body type: dropped. */
  readonly forged = new Counters();

  toBody(): Record<string, Record<string, number>> {
    return {
      sent: this.sent.snapshot(),
      received: this.received.snapshot(),
      dropped: this.dropped.snapshot(),
      client_in: this.clientIn.snapshot(),
      client_out: this.clientOut.snapshot(),
      relayed: this.relayed.snapshot(),
      relay_delivered: this.relayDelivered.snapshot(),
      service_out: this.serviceOut.snapshot(),
      service_in: this.serviceIn.snapshot(),
      intercepted: this.intercepted.snapshot(),
      forged: this.forged.snapshot(),
    };
  }
}
