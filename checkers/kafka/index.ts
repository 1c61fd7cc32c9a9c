// Maelstrom's kafka workload: replicated append-only logs, one per key. `send` appends a
// message and returns its offset; `poll` returns messages of a key from an offset on;
// `commit_offsets` and `list_committed_offsets` store and read a consumer's position.
// What is judged, per key (messages are unique: the workload never sends one twice):
// - one message per offset: every send_ok and poll that names an offset names the same message;
// - one offset per message, and no phantom: a message is at one offset only, and a poll returns
//   only messages that a send (not failed) of that key asked for;
// - ordered polls: offsets strictly increase within a reply, none below the offset asked for;
// - no lost write: a poll invoked after a send's offset was acknowledged, asked from at or
//   before that offset and returning a later one, returns that send's message too;
// - committed offsets: a listed offset is one that a commit (not failed) of that key asked
//   for, invoked before the list completed.
// Acknowledged sends that no poll reached (none returned their offset or a later one) are
// unconfirmed: if any remain after the final polls, the verdict is unknown, not valid.
import { firstAtLeast } from "../../core/sorted.ts";
import type { Op } from "../../histories/op.ts";
import { pairHistory, type PairedOp } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";
import { firstFew, jsonKey, maxReported, show } from "../elements.ts";
import { readerOf } from "../final-reads.ts";

/** One problem found, with the ops (completion indexes) that show it. */
export interface LogAnomaly {
  kind:
    | "offset-conflict"
    | "message-moved"
    | "phantom-message"
    | "unordered-poll"
    | "lost-write"
    | "phantom-commit"
    | "malformed";
  key: string;
  text: string;
  ops: number[];
}

export interface KafkaResult extends CheckResult {
  keys: number;
  sends: { ok: number; info: number; fail: number };
  polls: number;
  /** How many entries all ok polls returned together. */
  polled: number;
  /** Acknowledged sends whose offset no poll reached. */
  unconfirmed: number;
  anomalyCount: Record<LogAnomaly["kind"], number>;
  anomalies: LogAnomaly[];
}

/** An acknowledged send. */
interface Send {
  p: PairedOp;
  msg: unknown;
  offset: number;
}

type Entry = [number, unknown];

export function checkKafka(history: Op[], options: CheckerOptions = {}): KafkaResult {
  const report = maxReported(options);
  const anomalies: LogAnomaly[] = [];
  const add = (a: LogAnomaly) => anomalies.push(a);
  const byKey = new Map<string, PairedOp[]>();
  for (const p of pairHistory(history)) {
    if (p.key === undefined) continue;
    if (!byKey.has(p.key)) byKey.set(p.key, []);
    byKey.get(p.key)!.push(p);
  }
  const sends = { ok: 0, info: 0, fail: 0 };
  let polls = 0;
  let polled = 0;
  let unconfirmed = 0;
  for (const [key, ops] of byKey) {
    const r = checkKey(key, ops, add);
    sends.ok += r.sends.ok;
    sends.info += r.sends.info;
    sends.fail += r.sends.fail;
    polls += r.polls;
    polled += r.polled;
    unconfirmed += r.unconfirmed;
  }
  const anomalyCount = {
    "offset-conflict": 0,
    "message-moved": 0,
    "phantom-message": 0,
    "unordered-poll": 0,
    "lost-write": 0,
    "phantom-commit": 0,
    malformed: 0,
  };
  for (const a of anomalies) anomalyCount[a.kind]++;
  // During the run (`live`) sends acknowledged lately are not reached yet: that is no verdict.
  const open = unconfirmed > 0 && options.live !== true;
  const valid = anomalies.length > 0 ? false : open ? "unknown" : true;
  const summary = Object.entries(anomalyCount)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(", ");
  return {
    valid,
    reason:
      valid === true
        ? `${sends.ok} acknowledged sends on ${byKey.size} keys, each found where polls looked`
        : valid === false
          ? summary
          : `${unconfirmed} acknowledged sends were never reached by a poll (the final polls returned less than the whole log)`,
    keys: byKey.size,
    sends,
    polls,
    polled,
    unconfirmed,
    anomalyCount,
    anomalies: firstFew(anomalies, report),
  };
}

function checkKey(key: string, ops: PairedOp[], add: (a: LogAnomaly) => void) {
  const sends: Send[] = [];
  const counts = { ok: 0, info: 0, fail: 0 };
  /** Messages (jsonKey) a send of this key asked for, unless it certainly failed. */
  const sent = new Set<string>();
  for (const p of ops) {
    if (p.f !== "send") continue;
    counts[p.type]++;
    if (p.type === "ok") {
      const offset = p.completion!.value;
      if (!isOffset(offset)) {
        add(malformed(key, p, `send_ok without an integer offset (${show(offset)})`));
        continue;
      }
      sends.push({ p, msg: p.invoke.value, offset });
    }
    if (p.type !== "fail") sent.add(jsonKey(p.invoke.value));
  }

  // (offset -> message) and (message -> offset), from send_oks, then from every poll entry.
  const atOffset = new Map<number, { msg: unknown; op: number }>();
  const offsetOf = new Map<string, { offset: number; op: number }>();
  /** Each conflict, moved message, phantom and lost send is reported once, not per poll. */
  const reported = new Set<string>();
  const once = (id: string) => !reported.has(id) && Boolean(reported.add(id));
  const place = (offset: number, msg: unknown, op: number) => {
    const there = atOffset.get(offset);
    if (!there) atOffset.set(offset, { msg, op });
    else if (jsonKey(there.msg) !== jsonKey(msg) && once(`at ${offset} ${jsonKey(msg)}`))
      add({
        kind: "offset-conflict",
        key,
        text: `offset ${offset} of ${key} holds ${show(there.msg)} (op ${there.op}) and ${show(msg)} (op ${op})`,
        ops: [there.op, op],
      });
    const k = jsonKey(msg);
    const was = offsetOf.get(k);
    if (!was) offsetOf.set(k, { offset, op });
    else if (was.offset !== offset && once(`moved ${k} ${offset}`))
      add({
        kind: "message-moved",
        key,
        text: `message ${show(msg)} of ${key} is at offset ${was.offset} (op ${was.op}) and at ${offset} (op ${op})`,
        ops: [was.op, op],
      });
  };
  for (const s of sends) place(s.offset, s.msg, s.p.completion!.index);

  const okPolls = ops.filter((p) => p.f === "poll" && p.type === "ok");
  let polled = 0;
  /** Offsets of acknowledged sends that some poll returned or went past. */
  const reached = new Set<number>();
  const acked = [...sends].sort((a, b) => a.offset - b.offset);
  for (const p of okPolls) {
    const op = p.completion!.index;
    const entries = pollEntries(p.completion!.value);
    const from = p.invoke.value;
    if (!entries || !isOffset(from)) {
      add(malformed(key, p, `poll_ok whose messages are not [offset, message] pairs`));
      continue;
    }
    polled += entries.length;
    for (let i = 0; i < entries.length; i++) {
      const offset = entries[i]![0];
      if (offset < from || (i > 0 && offset <= entries[i - 1]![0])) {
        add({
          kind: "unordered-poll",
          key,
          text: `poll of ${key} from ${from} (op ${op} on ${readerOf(p)}) returned offset ${offset} ${i > 0 ? `after ${entries[i - 1]![0]}` : "first"}`,
          ops: [op],
        });
        break;
      }
    }
    for (const [offset, msg] of entries) {
      place(offset, msg, op);
      if (!sent.has(jsonKey(msg)) && once(`phantom ${jsonKey(msg)}`))
        add({
          kind: "phantom-message",
          key,
          text: `poll of ${key} (op ${op} on ${readerOf(p)}) returned ${show(msg)} at offset ${offset}, which no send of ${key} asked for`,
          ops: [op],
        });
    }
    if (entries.length === 0) continue;
    const last = entries[entries.length - 1]![0];
    const returned = new Set(entries.map((e) => e[0]));
    // Acknowledged sends with offsets in [from, last]: each was reached by this poll, and if
    // its ack came before the poll was invoked, the poll must have returned it.
    for (
      let i = firstAtLeast(acked, from, (s) => s.offset);
      i < acked.length && acked[i]!.offset <= last;
      i++
    ) {
      const s = acked[i]!;
      reached.add(s.offset);
      if (returned.has(s.offset) || s.p.completePos > p.invokePos) continue;
      if (once(`lost ${s.offset}`))
        add({
          kind: "lost-write",
          key,
          text: `send of ${show(s.msg)} to ${key} was acknowledged at offset ${s.offset} (op ${s.p.completion!.index}), but a later poll from ${from} (op ${op} on ${readerOf(p)}) skipped it, returning up to ${last}`,
          ops: [s.p.completion!.index, op],
        });
    }
  }
  const unconfirmed = sends.filter((s) => !reached.has(s.offset)).length;

  /** Each offset a commit (not failed) asked for, and where the first such was invoked. */
  const firstCommit = new Map<unknown, number>();
  for (const c of ops)
    if (c.f === "commit_offsets" && c.type !== "fail" && !firstCommit.has(c.invoke.value))
      firstCommit.set(c.invoke.value, c.invokePos);
  for (const p of ops) {
    if (p.f !== "list_committed_offsets" || p.type !== "ok") continue;
    const listed = p.completion!.value;
    if (listed === null || listed === undefined) continue;
    if (!((firstCommit.get(listed) ?? Infinity) < p.completePos))
      add({
        kind: "phantom-commit",
        key,
        text: `list_committed_offsets of ${key} (op ${p.completion!.index} on ${readerOf(p)}) returned ${show(listed)}, which no commit of ${key} asked for before it`,
        ops: [p.completion!.index],
      });
  }
  return { sends: counts, polls: okPolls.length, polled, unconfirmed };
}

function isOffset(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** A poll's messages for one key: [offset, message] pairs, or undefined if malformed. */
function pollEntries(value: unknown): Entry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const e of value) if (!Array.isArray(e) || e.length !== 2 || !isOffset(e[0])) return;
  return value as Entry[];
}

function malformed(key: string, p: PairedOp, text: string): LogAnomaly {
  const op = p.completion?.index ?? p.invoke.index;
  return { kind: "malformed", key, text: `op ${op} on ${readerOf(p)}: ${text}`, ops: [op] };
}

export const kafkaChecker: Checker = {
  name: "kafka",
  description:
    "replicated logs per key: one message per offset and one offset per message, ordered polls, no lost acknowledged send, committed offsets that were committed",
  // Each key's log is judged alone. Every anomaly is made of ops already in the history when
  // it shows (a message's send is invoked before any poll can return it, an ack before the
  // poll that misses it), so one found during the run stands in the whole history.
  independentKeys: true,
  prefixClosed: true,
  check: async (history, options) => checkKafka(history, options),
  explain(result) {
    const r = result as KafkaResult;
    if (r.anomalies === undefined) return [];
    return [
      `${r.sends.ok} sends acknowledged (${r.sends.info} unknown, ${r.sends.fail} failed) on ${r.keys} keys; ${r.polls} polls returned ${r.polled} messages; ${r.unconfirmed} acknowledged sends unconfirmed`,
      ...r.anomalies.map((a) => `  ${a.kind}: ${a.text}`),
    ];
  },
};
