// One node's replica of the key-value store: the map, the sequence number of the last update
// applied, and the recent updates (to re-send to a successor), all on disk before anything
// that depends on them leaves the node [C8]. Every node of a chain applies the same updates
// in the same order (sequence numbers assigned by the head), so a node's updates are always
// a prefix of its predecessor's [C2].
import type { Storage } from "../lib/durable.ts";
import type { Body } from "../lib/node.ts";
import { KvStore } from "../raft/kv.ts";
import type { Command } from "../raft/kv.ts";

export interface Update {
  seq: number;
  /** What it does to the store: set `key` to `value`; null for a cas that failed. */
  effect: { key: string; value: unknown } | null;
  /** The client's answer, decided by the head [C1] and sent by the tail [C3]. */
  reply: Body;
  /** Who waits for the answer (a client id and its msg_id), if anyone does. */
  client?: string;
  client_msg_id?: number;
}

/** The whole state after update `seq` (a state transfer). */
export interface Snapshot {
  seq: number;
  kv: [string, unknown][];
}

type LogRecord = { snapshot: Snapshot } | { update: Update };

export class Replica {
  readonly kv = new KvStore();
  lastSeq = 0;
  /** The epoch this incarnation of the node joined the chain in (1: the first chain). */
  since = 1;
  /** The latest updates, consecutive, the last one at lastSeq. */
  private recent: Update[] = [];
  private recordsOnDisk = 0;

  constructor(
    private readonly storage: Storage,
    /** How many recent updates are kept for re-sending; older ones go by snapshot. */
    private readonly retain = 1000,
  ) {}

  /** Recover from disk: the membership epoch, the last snapshot and the updates after it. */
  load(): void {
    const member = this.storage.load("member") as { since: number } | undefined;
    if (member) this.since = member.since;
    const records = this.storage.readRecords("log") as LogRecord[];
    for (const r of records) {
      if ("snapshot" in r) this.takeSnapshot(r.snapshot);
      else if (r.update.seq === this.lastSeq + 1) this.apply(r.update);
    }
    this.recordsOnDisk = records.length;
  }

  /** Head: decide a client's write or cas on the newest state and append it [C1]. */
  decide(command: Command, client?: { client: string; client_msg_id: number }): Update {
    const reply = this.kv.apply(command);
    let effect: Update["effect"] = null;
    if (command.type === "write") effect = { key: command.key, value: command.value };
    if (command.type === "cas" && reply.type === "cas_ok")
      effect = { key: command.key, value: command.to };
    const update: Update = { seq: this.lastSeq + 1, effect, reply, ...client };
    this.remember(update);
    this.persist([{ update }]);
    return update;
  }

  /** Successor: take what the predecessor sent, in order, skipping what is already here and
   *  stopping at a gap [C2]; on disk before it returns. Returns the updates newly applied. */
  receive(snapshot: Snapshot | undefined, updates: Update[]): Update[] {
    const records: LogRecord[] = [];
    if (snapshot && snapshot.seq > this.lastSeq) {
      this.takeSnapshot(snapshot);
      records.push({ snapshot });
    }
    const applied: Update[] = [];
    for (const u of updates) {
      if (u.seq <= this.lastSeq) continue;
      if (u.seq !== this.lastSeq + 1) break;
      this.apply(u);
      applied.push(u);
      records.push({ update: u });
    }
    if (records.length > 0) this.persist(records);
    return applied;
  }

  /** Updates after `seq` (at most `max`), or undefined if they are no longer kept. */
  updatesAfter(seq: number, max: number): Update[] | undefined {
    if (seq >= this.lastSeq) return [];
    const first = this.recent[0]?.seq ?? this.lastSeq + 1;
    if (seq + 1 < first) return undefined;
    return this.recent.slice(seq + 1 - first, seq + 1 - first + max);
  }

  /** Updates still kept with seq > after (for a new tail answering their clients). */
  keptAfter(seq: number): Update[] {
    return this.recent.filter((u) => u.seq > seq);
  }

  snapshot(): Snapshot {
    return { seq: this.lastSeq, kv: this.kv.entries() };
  }

  /** Forget everything, to join the chain again as a new member: a removed node's updates
   *  may differ from the chain's after the point it left [C8]. */
  reset(since: number): void {
    this.takeSnapshot({ seq: 0, kv: [] });
    this.storage.replaceRecords("log", [{ snapshot: this.snapshot() }]);
    this.recordsOnDisk = 1;
    this.since = since;
    this.storage.save("member", { since });
  }

  private apply(u: Update): void {
    if (u.effect) this.kv.apply({ type: "write", key: u.effect.key, value: u.effect.value });
    this.remember(u);
  }

  private remember(u: Update): void {
    this.lastSeq = u.seq;
    this.recent.push(u);
    if (this.recent.length > this.retain) this.recent.splice(0, this.recent.length - this.retain);
  }

  private takeSnapshot(s: Snapshot): void {
    this.kv.restore(s.kv);
    this.lastSeq = s.seq;
    this.recent = [];
  }

  /** Append to the log on disk; now and then replace it by one snapshot so it stays short. */
  private persist(records: LogRecord[]): void {
    if (this.recordsOnDisk + records.length > 4 * this.retain) {
      this.storage.replaceRecords("log", [{ snapshot: this.snapshot() }]);
      this.recordsOnDisk = 1;
      return;
    }
    this.storage.appendRecords("log", records);
    this.recordsOnDisk += records.length;
  }
}
