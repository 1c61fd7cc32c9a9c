// What a host remembers of the messages its node sent to each peer: the last few, for the
// replay mutation to resend.
import type { Message } from "./types.ts";

const KEEP_PER_PEER = 32;

export class SentLog {
  private readonly byDest = new Map<string, Message[]>();

  constructor(private readonly keep = KEEP_PER_PEER) {}

  add(msg: Message): void {
    let list = this.byDest.get(msg.dest);
    if (!list) this.byDest.set(msg.dest, (list = []));
    list.push(msg);
    if (list.length > this.keep) list.shift();
  }

  to(dest: string): readonly Message[] {
    return this.byDest.get(dest) ?? [];
  }
}
