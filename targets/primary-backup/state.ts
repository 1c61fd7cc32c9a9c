// A replica's state: the key-value map (Raft's KvStore, for the same lin-kv semantics), the
// sequence number of the last update applied to it, and whether it is a copy of the current
// primary's state. It can be copied whole (the primary's state transfer) and is kept on disk.
import type { Storage } from "../lib/durable.ts";
import type { Body } from "../lib/node.ts";
import { KvStore } from "../raft/kv.ts";
import type { Command } from "../raft/kv.ts";
import type { Config } from "./config.ts";

/** The map with a way to copy it: KvStore applies commands, `values` mirrors what they wrote. */
export class ReplicaKv {
  private store = new KvStore();
  private values = new Map<string, unknown>();

  apply(cmd: Command): Body {
    const result = this.store.apply(cmd);
    if (cmd.type === "write" && result.type === "write_ok") this.values.set(cmd.key, cmd.value);
    if (cmd.type === "cas" && result.type === "cas_ok") this.values.set(cmd.key, cmd.to);
    return result;
  }

  read(key: string): Body {
    return this.store.read(key);
  }

  entries(): [string, unknown][] {
    return [...this.values];
  }

  static from(entries: [string, unknown][]): ReplicaKv {
    const kv = new ReplicaKv();
    for (const [key, value] of entries) kv.apply({ type: "write", key, value });
    return kv;
  }
}

/** A replica's state, as a snapshot on disk. */
export interface SavedState {
  /** The configuration the node last acted in. */
  config: Config | undefined;
  /** The epoch and primary whose state this is a copy of, up to `seq`. */
  syncedWith: { epoch: number; primary: string } | undefined;
  seq: number;
  kv: [string, unknown][];
}

/** One update as logged: its sequence number and command. */
export interface LoggedUpdate {
  seq: number;
  command: Command;
}

/** The replica's disk [PB8]: a snapshot, replaced atomically when the configuration or the
 *  whole state changes, and an append-only log of the updates applied since (one fsync for a
 *  batch of updates, where a snapshot costs a write, a rename and two fsyncs). */
export class ReplicaDisk {
  /** Updates logged since the last snapshot. */
  logged = 0;

  constructor(private readonly storage: Storage) {}

  /** The snapshot, with the logged updates that follow it applied. */
  load(): SavedState & { kvStore: ReplicaKv } {
    const saved = (this.storage.load(SNAPSHOT) as SavedState | undefined) ?? {
      config: undefined,
      syncedWith: undefined,
      seq: 0,
      kv: [],
    };
    const kvStore = ReplicaKv.from(saved.kv);
    let seq = saved.seq;
    const updates = this.storage.readRecords(LOG) as LoggedUpdate[];
    this.logged = updates.length;
    // Records up to the snapshot's seq were written before it (a crash between the snapshot
    // and the log's truncation leaves them): skip them.
    for (const u of updates) {
      if (u.seq !== seq + 1) continue;
      kvStore.apply(u.command);
      seq = u.seq;
    }
    return { ...saved, seq, kvStore };
  }

  snapshot(state: SavedState): void {
    this.storage.save(SNAPSHOT, state);
    if (this.logged > 0) this.storage.replaceRecords(LOG, []);
    this.logged = 0;
  }

  append(updates: LoggedUpdate[]): void {
    this.storage.appendRecords(LOG, updates);
    this.logged += updates.length;
  }
}

const SNAPSHOT = "replica";
const LOG = "updates";
