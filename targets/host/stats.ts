// Message counters by body type, for messages-per-operation figures.

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
  /** Messages this node sent to other nodes. */
  readonly sent = new Counters();
  /** Messages this node received from other nodes. */
  readonly received = new Counters();
  /** Messages dropped by the host (too large, unknown destination, client gone). */
  readonly dropped = new Counters();
  /** Requests from clients, and replies to them. */
  readonly clientIn = new Counters();
  readonly clientOut = new Counters();

  toBody(): Record<string, Record<string, number>> {
    return {
      sent: this.sent.snapshot(),
      received: this.received.snapshot(),
      dropped: this.dropped.snapshot(),
      client_in: this.clientIn.snapshot(),
      client_out: this.clientOut.snapshot(),
    };
  }
}
