// Durable state for nodes: small JSON values replaced atomically, and append-only record
// files, both fsync'd before the call returns. Calls are synchronous on purpose: when a
// write returns the data is on disk, so a node can reply right after it ("persist before
// replying") without any ordering subtleties.
import * as fs from "node:fs";
import * as path from "node:path";

export interface Storage {
  /** The value last saved under this name, or undefined. */
  load(name: string): unknown;
  /** Replace the value under this name (atomic, fsync'd). */
  save(name: string, value: unknown): void;
  /** Every record appended under this name, in order. */
  readRecords(name: string): unknown[];
  /** Append records (fsync'd). */
  appendRecords(name: string, records: unknown[]): void;
  /** Replace all records under this name (atomic, fsync'd). */
  replaceRecords(name: string, records: unknown[]): void;
}

/** Storage in a directory: `<name>.json` for values, `<name>.jsonl` for records. */
export class DiskStorage implements Storage {
  private appendFds = new Map<string, number>();

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  load(name: string): unknown {
    const file = path.join(this.dir, `${name}.json`);
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, "utf8"));
  }

  save(name: string, value: unknown): void {
    this.replaceFile(`${name}.json`, JSON.stringify(value));
  }

  readRecords(name: string): unknown[] {
    const file = path.join(this.dir, `${name}.jsonl`);
    if (!fs.existsSync(file)) return [];
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const records: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]) continue;
      try {
        records.push(JSON.parse(lines[i]));
      } catch {
        // A write torn by a crash can only be the last line; drop it, and rewrite the file
        // so later appends do not follow a broken line.
        this.replaceRecords(name, records);
        break;
      }
    }
    return records;
  }

  appendRecords(name: string, records: unknown[]): void {
    if (records.length === 0) return;
    let fd = this.appendFds.get(name);
    if (fd === undefined) {
      fd = fs.openSync(path.join(this.dir, `${name}.jsonl`), "a");
      this.appendFds.set(name, fd);
    }
    fs.writeSync(fd, records.map((r) => JSON.stringify(r) + "\n").join(""));
    fs.fsyncSync(fd);
  }

  replaceRecords(name: string, records: unknown[]): void {
    const fd = this.appendFds.get(name);
    if (fd !== undefined) {
      fs.closeSync(fd);
      this.appendFds.delete(name);
    }
    this.replaceFile(`${name}.jsonl`, records.map((r) => JSON.stringify(r) + "\n").join(""));
  }

  /** Write a temporary file, fsync it, rename it over the old one, fsync the directory. */
  private replaceFile(fileName: string, content: string): void {
    const final = path.join(this.dir, fileName);
    const tmp = `${final}.tmp`;
    const fd = fs.openSync(tmp, "w");
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, final);
    const dirFd = fs.openSync(this.dir, "r");
    fs.fsyncSync(dirFd);
    fs.closeSync(dirFd);
  }
}

/** Storage in memory, for tests: keep the object to "restart" a node with its disk. */
export class MemoryStorage implements Storage {
  private values = new Map<string, string>();
  private records = new Map<string, string[]>();

  load(name: string): unknown {
    const v = this.values.get(name);
    return v === undefined ? undefined : JSON.parse(v);
  }
  save(name: string, value: unknown): void {
    this.values.set(name, JSON.stringify(value));
  }
  readRecords(name: string): unknown[] {
    return (this.records.get(name) ?? []).map((r) => JSON.parse(r));
  }
  appendRecords(name: string, records: unknown[]): void {
    const list = this.records.get(name) ?? [];
    for (const r of records) list.push(JSON.stringify(r));
    this.records.set(name, list);
  }
  replaceRecords(name: string, records: unknown[]): void {
    this.records.set(
      name,
      records.map((r) => JSON.stringify(r)),
    );
  }
}
