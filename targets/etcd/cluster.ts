// An etcd cluster in the node containers: each node's main process is start.sh, which waits
// for this module to write the members' addresses, then runs etcd (static bootstrap). Also:
// readiness (every member knows a leader) and who leads (for leader-directed faults).
import type { Cluster } from "../../core/runtime.ts";
import { EXIT, UserError } from "../../core/errors.ts";
import { CLIENT_PORT, Gateway } from "./gateway.ts";

/** etcd's peer port (Raft traffic between members). */
export const PEER_PORT = 2380;
/** Inside a node: the cluster file start.sh waits for, and etcd's data directory beside it. */
export const ETCD_DIR = "/var/lib/faultline/etcd";
export const CONF_FILE = `${ETCD_DIR}/cluster.conf`;
export const START_SCRIPT = "/opt/faultline/etcd/start.sh";
/** The line start.sh prints before it becomes etcd (readiness reads the log after it). */
const START_MARKER = "faultline-etcd: starting etcd";

/** How long one status request may take (readiness and leader lookups). */
const STATUS_TIMEOUT_MS = 500;
const POLL_MS = 200;

/** The cluster file of one node: its name and address, every member's peer URL, a token. */
export function clusterConf(cluster: Cluster, node: string): string {
  const members = cluster.nodes.map((n) => `${n.name}=http://${n.ip}:${PEER_PORT}`).join(",");
  return [
    "# Written by the control process (targets/etcd/cluster.ts); read by start.sh.",
    `NAME=${node}`,
    `SELF_IP=${cluster.node(node).ip}`,
    `CLUSTER=${members}`,
    `TOKEN=faultline-${cluster.id}`,
    "END=1",
    "",
  ].join("\n");
}

/** A member's status (/v3/maintenance/status), as far as we use it. */
export interface MemberStatus {
  memberId: string;
  /** The leader's member id as this member knows it; absent when it knows none. */
  leader?: string;
  raftTerm: number;
  errors: string[];
}

export function parseStatus(body: unknown): MemberStatus | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const b = body as {
    header?: { member_id?: unknown };
    leader?: unknown;
    raftTerm?: unknown;
    errors?: unknown;
  };
  if (typeof b.header?.member_id !== "string") return undefined;
  // uint64 ids arrive as decimal strings; "0" (or none) means no leader is known.
  const leader = typeof b.leader === "string" && b.leader !== "0" ? b.leader : undefined;
  return {
    memberId: b.header.member_id,
    leader,
    raftTerm: Number(b.raftTerm ?? 0),
    errors: Array.isArray(b.errors) ? b.errors.map(String) : [],
  };
}

async function status(ip: string): Promise<MemberStatus | string> {
  const gateway = new Gateway(ip, CLIENT_PORT);
  try {
    const reply = await gateway.post("/v3/maintenance/status", {}, STATUS_TIMEOUT_MS);
    if (reply.kind !== "answer") return reply.kind;
    return parseStatus(reply.body) ?? `answer ${reply.status}: ${reply.text.slice(0, 120)}`;
  } finally {
    gateway.close();
  }
}

/**
 * Write every node's cluster file (idempotent: the same content each time), then wait until
 * every member answers its status knowing a leader. A member whose etcd exited with a fatal
 * error fails the wait at once with etcd's reason.
 */
export async function awaitEtcdReady(cluster: Cluster, timeoutMs: number): Promise<void> {
  await Promise.all(
    cluster.nodes.map((n) => cluster.putFile(n.name, CONF_FILE, clusterConf(cluster, n.name))),
  );
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(cluster.nodes.map((n) => n.name));
  const last = new Map<string, string>();
  for (;;) {
    await Promise.all(
      [...waiting].map(async (name) => {
        const s = await status(cluster.node(name).ip);
        if (typeof s !== "string" && s.leader && s.errors.length === 0) {
          waiting.delete(name);
          return;
        }
        last.set(name, typeof s === "string" ? s : `no leader yet (${s.errors.join("; ")})`);
        if (s === "refused") await failIfExited(cluster, name);
      }),
    );
    if (waiting.size === 0) return;
    if (Date.now() > deadline) {
      const answers = [...waiting].map((n) => `${n}: ${last.get(n)}`).join(", ");
      throw new UserError(
        `etcd members did not become ready within ${timeoutMs} ms (${answers}); see their logs in the run's logs/`,
        EXIT.environment,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Throws with etcd's reason if the member's latest start ended in a fatal error. */
async function failIfExited(cluster: Cluster, name: string): Promise<void> {
  const log = await cluster.logs(name).catch(() => "");
  const reason = fatalIn(log);
  if (reason) throw new UserError(`etcd on ${name} could not start: ${reason}`, EXIT.environment);
}

/** etcd's fatal message in the part of a log after start.sh's latest start, if any. */
export function fatalIn(log: string): string | undefined {
  const latest = log.slice(Math.max(0, log.lastIndexOf(START_MARKER)));
  for (const line of latest.split("\n")) {
    if (!/"level":"(fatal|panic)"/.test(line)) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; error?: string };
      return [entry.msg, entry.error].filter(Boolean).join(": ");
    } catch {
      return line.trim();
    }
  }
  return undefined;
}

/** Member id -> node name, per cluster (ids never change: a member keeps its data dir). */
const memberNames = new WeakMap<Cluster, Map<string, string>>();

async function memberName(cluster: Cluster, id: string): Promise<string | undefined> {
  let names = memberNames.get(cluster);
  if (!names?.has(id)) {
    names = (await memberList(cluster)) ?? names;
    if (names) memberNames.set(cluster, names);
  }
  return names?.get(id);
}

/** The member list from the first member that answers it. */
async function memberList(cluster: Cluster): Promise<Map<string, string> | undefined> {
  for (const n of cluster.nodes) {
    const gateway = new Gateway(n.ip, CLIENT_PORT);
    try {
      const reply = await gateway.post("/v3/cluster/member/list", {}, STATUS_TIMEOUT_MS);
      if (reply.kind !== "answer" || reply.status !== 200) continue;
      const members = (reply.body as { members?: { ID?: string; name?: string }[] }).members;
      if (!Array.isArray(members)) continue;
      return new Map(members.filter((m) => m.ID && m.name).map((m) => [m.ID!, m.name!]));
    } finally {
      gateway.close();
    }
  }
  return undefined;
}

/** The node the members of the highest Raft term name as leader, if any. */
export async function etcdLeader(cluster: Cluster): Promise<string | undefined> {
  const answers = await Promise.all(cluster.nodes.map((n) => status(n.ip)));
  let best: MemberStatus | undefined;
  for (const a of answers) {
    if (typeof a === "string" || !a.leader) continue;
    if (!best || a.raftTerm > best.raftTerm) best = a;
  }
  return best?.leader ? memberName(cluster, best.leader) : undefined;
}
