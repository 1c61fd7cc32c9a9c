// Counts the node-to-node messages of a run's main phase, for messages per operation. The
// target counts per node (`Target.sentMessages`: a node host's counters), but a kill restarts
// a node and its counter with it, so reading the counters once at the end would lose
// everything a killed node sent before. The meter reads every node every few seconds and adds
// up the differences; a reading under a new `since` (or, without one, lower than the last) is
// a restarted counter, which counts from 0. What a node sent between its last reading and a
// kill is lost: an undercount of at most one poll interval of that node's messages per kill.
import type { Op } from "../../histories/op.ts";
import type { SentCount } from "../../targets/types.ts";
import { okMainOps } from "../compare/metrics.ts";

/** How often the meter reads every node's counter. */
export const MESSAGE_POLL_MS = 2000;

/** What results.json records as `messages`. */
export interface MessageFigures {
  /** Node-to-node messages sent during the main phase, by every node. */
  sent: number;
  /** `sent` per ok client op of the main phase (null when there was none). */
  perOkOp: number | null;
  /** How many times the counters were read, and how many nodes ever answered. */
  polls: number;
  nodes: number;
}

export class MessageMeter {
  private readonly last = new Map<string, SentCount>();
  private total = 0;
  private polls = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly read: (node: string) => Promise<SentCount | undefined>,
    private readonly nodes: readonly string[],
    private readonly everyMs = MESSAGE_POLL_MS,
  ) {}

  /** Take the first reading (the baseline) and keep reading every `everyMs`. */
  async start(): Promise<void> {
    await this.pollOnce();
    this.schedule();
  }

  /** Stop reading; a last reading ends the count. Returns the messages sent since start, or
   *  undefined if no node ever answered. */
  async stop(): Promise<{ sent: number; polls: number; nodes: number } | undefined> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await this.pollOnce();
    if (this.last.size === 0) return undefined;
    return { sent: this.total, polls: this.polls, nodes: this.last.size };
  }

  /** Stop reading without a last reading (the run failed: the count is not kept). */
  cancel(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.pollOnce().finally(() => this.schedule());
    }, this.everyMs);
    this.timer.unref();
  }

  private async pollOnce(): Promise<void> {
    this.polls++;
    await Promise.all(
      this.nodes.map(async (node) => {
        // A paused or restarting node does not answer: its next answer covers the gap.
        const now = await this.read(node).catch(() => undefined);
        if (!now) return;
        this.total += sentSince(this.last.get(node), now);
        this.last.set(node, now);
      }),
    );
  }
}

/** What a node sent between two readings of its counter. The first reading of a node is its
 *  baseline (0); a counter that restarted (new `since`, or lower than before) counts from 0. */
export function sentSince(before: SentCount | undefined, now: SentCount): number {
  if (!before) return 0;
  const restarted = before.since !== now.since || now.sent < before.sent;
  return restarted ? now.sent : now.sent - before.sent;
}

/** results.json's `messages`: the count, and per ok op of the main phase. */
export function messageFigures(
  counted: { sent: number; polls: number; nodes: number },
  history: readonly Op[],
): MessageFigures {
  const ok = okMainOps(history);
  return {
    sent: counted.sent,
    perOkOp: ok > 0 ? Math.round((counted.sent / ok) * 100) / 100 : null,
    polls: counted.polls,
    nodes: counted.nodes,
  };
}
