// Paces invocations to a total rate shared by every worker: slot k of the run may start no
// earlier than k / rate seconds after the pacer's start. Workers that fall behind do not
// burst to catch up by more than one slot each.

export class Pacer {
  private nextSlotMs: number;
  private readonly gapMs: number;

  /** `rate` is operations per second across all workers; 0 or Infinity means unpaced. */
  constructor(rate: number, startMs: number) {
    this.gapMs = rate > 0 && Number.isFinite(rate) ? 1000 / rate : 0;
    this.nextSlotMs = startMs;
  }

  /** Claim the next slot: how many ms the caller should wait before invoking (0 = now). */
  claim(nowMs: number): number {
    if (this.gapMs === 0) return 0;
    const slot = Math.max(this.nextSlotMs, nowMs - this.gapMs);
    this.nextSlotMs = slot + this.gapMs;
    return Math.max(0, slot - nowMs);
  }
}
