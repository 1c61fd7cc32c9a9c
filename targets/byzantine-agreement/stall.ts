// Notices when this process was not scheduled for a while. On a loaded machine a node program
// can be descheduled for longer than a round; the messages that waited in its input meanwhile
// then look late when it wakes, and a decision timer may fire before they are read, so the
// node would count its peers' values as missing through no fault of theirs. The rounds of
// oral messages measure the network, not this process: while it catches up after a stall,
// messages count as on time and decisions wait until what queued has been read.
import type { Clock } from "../lib/node.ts";

export class StallWatch {
  private expected: number;
  private resumedAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly tickMs = 50,
    /** A tick this much later than due means the process was stalled. */
    private readonly toleranceMs = 150,
    /** How long after waking up it counts as catching up. */
    readonly graceMs = 50,
  ) {
    this.expected = clock.now() + tickMs;
    this.tick();
  }

  private tick(): void {
    this.clock.after(this.tickMs, () => {
      const now = this.clock.now();
      if (now - this.expected > this.toleranceMs) this.resumedAt = now;
      this.expected = now + this.tickMs;
      this.tick();
    });
  }

  /** True while the process catches up after a stall: it was stalled if its ticker is
   *  overdue now (not run yet since it woke) or ran late a moment ago. */
  catchingUp(): boolean {
    const now = this.clock.now();
    return now - this.expected > this.toleranceMs || now - this.resumedAt < this.graceMs;
  }
}
