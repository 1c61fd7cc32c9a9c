// Console progress while a run goes: on a terminal one line rewritten in place (elapsed,
// remaining, ok/fail/info counts, current faults); otherwise (CI logs) a plain line every
// few seconds.
import type { Op } from "../../histories/op.ts";

export interface ProgressSource {
  elapsedMs(): number;
  totalMs: number;
  faults(): string[];
  phase(): string;
  /** The live check's verdict so far, if the run has one. */
  check?: () => string;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Rewrite one line in place (default: when the stream is a TTY). */
  live?: boolean;
  /** How often a plain line is printed when not live. */
  plainEveryMs?: number;
}

export class Progress {
  readonly counts = { ok: 0, fail: 0, info: 0 };
  private timer?: NodeJS.Timeout;
  private readonly stream: NodeJS.WritableStream;
  private readonly live: boolean;
  private readonly everyMs: number;

  constructor(
    private readonly source: ProgressSource,
    opts: ProgressOptions = {},
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.live = opts.live ?? Boolean((this.stream as NodeJS.WriteStream).isTTY);
    this.everyMs = this.live ? 250 : (opts.plainEveryMs ?? 5000);
  }

  /** Count a completion (hand this to the workers' onComplete). */
  record = (op: Op): void => {
    if (op.type !== "invoke") this.counts[op.type]++;
  };

  start(): void {
    this.timer = setInterval(() => this.print(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.live) this.stream.write("\r\x1b[2K");
  }

  /** The text of the progress line, as printed. */
  line(): string {
    const s = this.source;
    const elapsed = s.elapsedMs() / 1000;
    const remaining = Math.max(0, s.totalMs / 1000 - elapsed);
    const faults = s.faults();
    const { ok, fail, info } = this.counts;
    const check = s.check ? ` | ${s.check()}` : "";
    return `[${s.phase()}] ${elapsed.toFixed(0)}s elapsed, ${remaining.toFixed(0)}s left | ok ${ok} fail ${fail} info ${info} | faults: ${faults.length ? faults.join("; ") : "none"}${check}`;
  }

  private print(): void {
    if (this.live)
      this.stream.write(`\r\x1b[2K${this.line().slice(0, (process.stderr.columns ?? 120) - 1)}`);
    else this.stream.write(this.line() + "\n");
  }
}
