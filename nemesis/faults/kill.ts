// Crash faults: SIGKILL a node's container and start it again later with its disk intact.
// The staggered kill (the leader and a majority killed while the survivors are frozen, the
// killed nodes restarted first) leaves restarted nodes beside followers that hold the newest
// term: where lost term/vote state shows.
import { sleep } from "../../core/clock.ts";
import type { Fault, FaultContext } from "../fault.ts";
import { onEach, pickNodes, type Who } from "../who.ts";

export interface PlannedKill {
  kind: "kill";
  who: Who;
  nodes: string[];
  /** Nodes frozen while the killed ones are down, and resumed this long after the restarted
   *  nodes have a leader (or after they restart, when the target cannot tell who leads), so
   *  the restarted nodes come back first and commit entries on their own (a staggered
   *  recovery). */
  freeze?: {
    nodes: string[];
    resumeAfterMs: number;
    restartEstimateMs: number;
    /** How long the restarted nodes' leader stays frozen once the survivors resume. */
    handoverMs: number;
  };
  /** A coordinator's crash loop: killed, restarted `downMs` later, killed again `upMs` after
   *  that, until the fault stops. Set at run time for a "leader" kill of a target whose
   *  leader is a fixed coordinator (see resolve). */
  crashLoop?: { downMs: number; upMs: number };
}

// The staggered kill comes first, once the term has moved past the first elections (after a
// partition, say). "all" tests the disk itself.
const ORDER: Who[] = ["leader-majority", "leader", "all", "minority", "one", "majority"];
/** How long the restarted majority of a staggered kill leads alone before the frozen
 *  survivors resume: long enough to commit many writes (at most one nemesis interval). */
const STAGGER_MS = 3000;
/** How long to wait for the restarted nodes to elect a leader before resuming regardless. A
 *  fixed delay after `docker start` was not enough on a busy machine: the restart itself took
 *  most of it, nothing committed before the survivors woke, and the run saw no loss. 10 s was
 *  not always enough either: with the machine far overloaded (load 30-48 on 2 cores) the
 *  restarted nodes' first elections split for 10 s (no-persist, seed 802 of 801-820). */
const RESTART_LEADER_WAIT_MS = 20_000;
/** How long the survivors are frozen before the majority is killed. */
const FREEZE_LEAD_MS = 500;
/** What a restart and an election usually take, for the schedule's estimate of the heal. */
const RESTART_ESTIMATE_MS = 2000;
/** How long the restarted leader is frozen when the survivors resume: a few election timeouts
 *  of the targets, so the survivors (newest term, older log) campaign among the restarted
 *  followers without the restarted leader winning the next term first. Left to chance, it
 *  re-won with its followers' votes on some seeds and the lost term/vote state went unseen
 *  (no-persist, seed 704 of 701-705, measured). */
const HANDOVER_MS = 2000;
/** A coordinator's crash loop. What breaks an atomic-commit coordinator is a crash between
 *  its decision and the last participant hearing it; one kill lands in that moment only when
 *  some transfer happens to be in it (about one kill in two against postgres-2pc's
 *  commit-before-log, which a 60 s run missed on 4 of 20 seeds). Each crash of the loop is
 *  another such chance; up long enough to restart and take transfers again. */
const CRASH_DOWN_MS = 1000;
const CRASH_UP_MS = 2000;
/** Crash loops in progress, by the fault they belong to (heal stops them). */
const crashLoops = new WeakMap<PlannedKill, CrashLoop>();

interface CrashLoop {
  stop: AbortController;
  /** Resolves when the loop has stopped: with how many times it killed the node (-1: a start
   *  or kill failed and the loop gave up). */
  done: Promise<number>;
}

export const kill: Fault<PlannedKill> = {
  kind: "kill",
  description:
    "kill nodes (one, a minority, the leader, all, a staggered leader-majority) and restart them with their disks",
  startF: "kill",
  stopF: "start",

  plan({ nodes, rng, turn, intervalMs }) {
    const who = ORDER[turn % ORDER.length]!;
    const picked = pickNodes(who, nodes, rng);
    if (who !== "leader-majority") return { kind: "kill", who, nodes: picked };
    const rest = nodes.filter((n) => !picked.includes(n));
    return {
      kind: "kill",
      who,
      nodes: picked,
      freeze: {
        nodes: rest,
        resumeAfterMs: Math.min(STAGGER_MS, intervalMs),
        restartEstimateMs: Math.min(RESTART_ESTIMATE_MS, intervalMs),
        handoverMs: Math.min(HANDOVER_MS, intervalMs),
      },
    };
  },

  async resolve(fault, ctx) {
    const { cluster, leader } = ctx;
    if (fault.who !== "leader" && fault.who !== "leader-majority") return fault;
    const now = await leader();
    if (!now) return fault;
    if (fault.who === "leader") {
      const loop = ctx.fixedLeader
        ? { crashLoop: { downMs: CRASH_DOWN_MS, upMs: CRASH_UP_MS } }
        : {};
      return { ...fault, nodes: [now], ...loop };
    }
    // The planned majority, with the leader in place of one of the others if it is missing.
    const nodes = (fault.nodes.includes(now) ? fault.nodes : [now, ...fault.nodes.slice(1)]).sort();
    if (!fault.freeze) return { ...fault, nodes };
    const rest = cluster.nodes.map((n) => n.name).filter((n) => !nodes.includes(n));
    return { ...fault, nodes, freeze: { ...fault.freeze, nodes: rest } };
  },

  nodes: (fault) => fault.nodes,

  async apply(fault, ctx) {
    const { cluster } = ctx;
    if (fault.freeze) {
      await onEach(fault.freeze.nodes, (n) => cluster.pause(n));
      // The doomed majority (leader included) keeps committing without the survivors for a
      // moment, so every write a survivor holds is acknowledged by then. Killed at the same
      // instant, a survivor held writes still in flight, which time out (info): when the
      // survivor later won and overwrote newer entries, its stale value passed for such a
      // write taking effect late, and the loss went unseen (measured: seed 12 of 11-14).
      await sleep(FREEZE_LEAD_MS);
    }
    await onEach(fault.nodes, (n) => cluster.kill(n));
    if (fault.crashLoop) crashLoops.set(fault, startCrashLoop(fault, ctx));
  },

  async heal(fault, ctx) {
    const { cluster, healingAll } = ctx;
    const loop = crashLoops.get(fault);
    if (loop) {
      crashLoops.delete(fault);
      loop.stop.abort();
      const crashes = await loop.done;
      // Started whatever the loop was doing (starting a running node changes nothing).
      await onEach(fault.nodes, (n) => cluster.start(n));
      return { crashes };
    }
    if (!fault.freeze) return onEach(fault.nodes, (n) => cluster.start(n));
    let frozen = fault.freeze.nodes;
    let heldBack: string | undefined;
    try {
      // Healing everything at the end (or on interruption): no time for the stagger.
      if (healingAll) return onEach(fault.nodes, (n) => cluster.start(n));
      // Restarted together: each is frozen as soon as it is up and all resume at once. On a
      // busy machine `docker start` took seconds per node, and the first one up campaigned
      // alone until its term passed the survivors' last log term, so the restarted majority's
      // entries outranked the survivors' logs and the lost term/vote state went unseen
      // (no-persist, seed 810 of 801-820, measured at load 30-48).
      await onEach(fault.nodes, async (n) => {
        await cluster.start(n);
        await cluster.pause(n);
      });
      await onEach(fault.nodes, (n) => cluster.resume(n));
      const restartedLeader = await leaderAmong(fault.nodes, ctx);
      await sleep(fault.freeze.resumeAfterMs);
      if (!restartedLeader) return { restartedLeader: null };
      // A coordinator is not elected: nothing to hand over, only its transactions to delay.
      if (ctx.fixedLeader) return { restartedLeader };
      // The handover: the survivors wake while the restarted leader is frozen, so the next
      // election is between survivors and restarted followers. A correct protocol's restarted
      // followers refuse the survivors (their newer entries outrank the survivors' log); ones
      // that forgot their term and vote elect a survivor, which overwrites committed entries.
      await cluster.pause(restartedLeader);
      heldBack = restartedLeader;
      await onEach(frozen, (n) => cluster.resume(n));
      frozen = [];
      await sleep(fault.freeze.handoverMs);
      return { restartedLeader, heldBackMs: fault.freeze.handoverMs };
    } finally {
      // Never leave anyone frozen, whatever happened to the restart.
      await onEach(frozen, (n) => cluster.resume(n));
      if (heldBack) await cluster.resume(heldBack);
    }
  },

  describe: (fault) =>
    `kill ${fault.nodes.join(",")}${fault.freeze ? ` (frozen ${fault.freeze.nodes.join(",")})` : ""}${fault.crashLoop ? " (crash loop)" : ""}`,
  detail: (fault) =>
    fault.freeze
      ? { who: fault.who, frozen: fault.freeze.nodes }
      : fault.crashLoop
        ? { who: fault.who, crashLoop: fault.crashLoop }
        : { who: fault.who },
  settleMs: (fault) =>
    fault.freeze
      ? fault.freeze.restartEstimateMs + fault.freeze.resumeAfterMs + fault.freeze.handoverMs
      : 0,
};

/** Restart and kill `fault.nodes` again and again until stopped (the nodes start killed). */
function startCrashLoop(fault: PlannedKill, { cluster }: FaultContext): CrashLoop {
  const phases = fault.crashLoop!;
  const stop = new AbortController();
  const done = (async () => {
    let crashes = 1;
    while (!stop.signal.aborted) {
      await sleep(phases.downMs, stop.signal);
      if (stop.signal.aborted) break;
      await onEach(fault.nodes, (n) => cluster.start(n));
      await sleep(phases.upMs, stop.signal);
      if (stop.signal.aborted) break;
      await onEach(fault.nodes, (n) => cluster.kill(n));
      crashes++;
    }
    return crashes;
  })().catch(() => -1); // a failed start or kill: heal starts the nodes whatever happened
  return { stop, done };
}

/** Wait until one of `nodes` leads (bounded); the leader, or undefined if none was seen. */
async function leaderAmong(
  nodes: string[],
  { leader, tellsLeader }: FaultContext,
): Promise<string | undefined> {
  if (!tellsLeader) return undefined;
  const deadline = Date.now() + RESTART_LEADER_WAIT_MS;
  while (Date.now() < deadline) {
    const now = await leader();
    if (now && nodes.includes(now)) return now;
    await sleep(200);
  }
  return undefined;
}
