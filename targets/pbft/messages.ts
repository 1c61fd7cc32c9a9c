// PBFT's signed messages, and the checks a replica makes before it believes one: a signature
// by the replica the message names [B2], and for the messages that carry others' messages
// (prepared certificates, checkpoint proofs, VIEW-CHANGE and NEW-VIEW) every enclosed
// signature and the quorum sizes of the source [B5] [B8] [B10].
import type { Command } from "../raft/kv.ts";
import { canonical, digest, type Signer } from "./crypto.ts";

/** Fields every signed message has: who made it, and its signature over the rest. */
export interface Sealed {
  type: string;
  from: string;
  sig: string;
}

/** A client operation as a replica received it, signed by that replica (its origin). */
export interface Request extends Sealed {
  type: "request";
  id: string;
  op: Command;
}

export interface PrePrepare extends Sealed {
  type: "pre_prepare";
  v: number;
  n: number;
  d: string;
  /** The requests ordered at n, in order (the primary batches those that wait together);
   *  none: a sequence number a new view fills with nothing. */
  reqs: Request[];
}

export interface Prepare extends Sealed {
  type: "prepare";
  v: number;
  n: number;
  d: string;
}

export interface Commit extends Sealed {
  type: "commit";
  v: number;
  n: number;
  d: string;
}

/** The state after executing up to n: a hash chained over every executed request digest. */
export interface Checkpoint extends Sealed {
  type: "checkpoint";
  n: number;
  h: string;
}

/** A PRE-PREPARE and 2k matching PREPAREs of other backups [B5]: proof that n was prepared. */
export interface Certificate {
  pp: PrePrepare;
  prepares: Prepare[];
}

/** 2k+1 matching CHECKPOINTs [B10]: the state up to n is the one hashed as h (n = 0: the start). */
export interface StableCheckpoint {
  n: number;
  h: string;
  proof: Checkpoint[];
}

export interface ViewChange extends Sealed {
  type: "view_change";
  /** The view asked for. */
  v: number;
  cp: StableCheckpoint;
  /** The prepared certificates after cp.n [B8]. */
  P: Certificate[];
}

export interface NewView extends Sealed {
  type: "new_view";
  v: number;
  /** 2k+1 VIEW-CHANGEs for v [B8]. */
  V: ViewChange[];
  /** The PRE-PREPAREs of v for what the old views left: one per sequence number. */
  O: PrePrepare[];
}

export const NULL_DIGEST = "null";

export function batchDigest(reqs: Request[]): string {
  return reqs.length > 0 ? digest(reqs) : NULL_DIGEST;
}

/** The chained state hash after executing `d` at n on top of `previous`. */
export function chainHash(previous: string, n: number, d: string): string {
  return digest([previous, n, d]);
}

/** What a signature covers: the message without its signature and transport fields. */
function signedPart(m: Record<string, unknown>): string {
  const { sig: _sig, msg_id: _id, in_reply_to: _re, ...rest } = m;
  return canonical(rest);
}

/** The replicas of a cluster of n = 3k+1 (or more), the quorums of the source, and signature
 *  checks remembered (certificates travel many times; each signature is checked once). */
export class Quorums {
  /** Traitors tolerated: k with n >= 3k+1. */
  readonly k: number;
  private verified = new Set<string>();

  constructor(
    readonly ids: string[],
    readonly signer: Signer,
  ) {
    this.k = Math.floor((ids.length - 1) / 3);
  }

  primaryOf(view: number): string {
    return this.ids[view % this.ids.length]!;
  }

  seal<T extends Sealed>(m: Omit<T, "sig">): T {
    return { ...m, sig: this.signer.sign(signedPart(m)) } as T;
  }

  /** A message of `type` signed by the replica it names (a known one). */
  authentic(m: unknown, type: string): boolean {
    if (m === null || typeof m !== "object") return false;
    const s = m as Record<string, unknown>;
    if (s.type !== type || typeof s.from !== "string" || typeof s.sig !== "string") return false;
    if (!this.ids.includes(s.from)) return false;
    if (this.verified.has(s.sig)) return true;
    if (!this.signer.verify(s.from, signedPart(s), s.sig)) return false;
    if (this.verified.size > 200_000) this.verified.clear();
    this.verified.add(s.sig);
    return true;
  }

  /** A request signed by its origin. */
  validRequest(req: unknown): req is Request {
    if (!this.authentic(req, "request")) return false;
    const r = req as Request;
    return typeof r.id === "string" && r.op !== null && typeof r.op === "object";
  }

  /** A PRE-PREPARE signed by the primary of its view, whose digest is its request's. */
  validPrePrepare(pp: unknown): pp is PrePrepare {
    if (!this.authentic(pp, "pre_prepare")) return false;
    const p = pp as PrePrepare;
    if (!Number.isInteger(p.v) || !Number.isInteger(p.n) || p.n < 1) return false;
    if (p.from !== this.primaryOf(p.v)) return false;
    if (!Array.isArray(p.reqs) || !p.reqs.every((r) => this.validRequest(r))) return false;
    return p.d === batchDigest(p.reqs);
  }

  /** A prepared certificate [B5]: the PRE-PREPARE and `need` PREPAREs matching it, from
   *  distinct backups (the primary sends none). */
  validCertificate(c: unknown, need = 2 * this.k): c is Certificate {
    if (c === null || typeof c !== "object") return false;
    const { pp, prepares } = c as Certificate;
    if (!this.validPrePrepare(pp) || !Array.isArray(prepares)) return false;
    const from = new Set<string>();
    for (const p of prepares) {
      if (!this.authentic(p, "prepare")) continue;
      if (p.v !== pp.v || p.n !== pp.n || p.d !== pp.d || p.from === pp.from) continue;
      from.add(p.from);
    }
    return from.size >= need;
  }

  /** 2k+1 CHECKPOINTs of distinct replicas for the same n and state hash (n = 0 needs none). */
  validStable(cp: unknown): cp is StableCheckpoint {
    if (cp === null || typeof cp !== "object") return false;
    const { n, h, proof } = cp as StableCheckpoint;
    if (n === 0) return h === "";
    if (!Number.isInteger(n) || n < 0 || typeof h !== "string" || !Array.isArray(proof))
      return false;
    const from = new Set<string>();
    for (const c of proof)
      if (this.authentic(c, "checkpoint") && c.n === n && c.h === h) from.add(c.from);
    return from.size >= 2 * this.k + 1;
  }

  /** A VIEW-CHANGE with a valid stable checkpoint; certificates that do not hold up are
   *  dropped from it (a traitor's forged certificate then counts for nothing). */
  validViewChange(m: unknown): ViewChange | undefined {
    if (!this.authentic(m, "view_change")) return undefined;
    const vc = m as ViewChange;
    if (!Number.isInteger(vc.v) || !this.validStable(vc.cp) || !Array.isArray(vc.P))
      return undefined;
    const P = vc.P.filter((c) => this.validCertificate(c) && c.pp.v < vc.v && c.pp.n > vc.cp.n);
    return { ...vc, P };
  }
}

/** What a new view must re-propose, computed alike by the new primary and every backup from
 *  the same 2k+1 VIEW-CHANGEs [B8]: from the highest stable checkpoint among them, each
 *  sequence number up to the highest prepared one gets the requests of its certificate from
 *  the highest view, or none if none prepared it. */
export function reproposals(
  V: ViewChange[],
  ignoreCertificates = false,
): { stable: StableCheckpoint; entries: { n: number; reqs: Request[] }[] } {
  let stable: StableCheckpoint = { n: 0, h: "", proof: [] };
  for (const vc of V) if (vc.cp.n > stable.n) stable = vc.cp;
  // The ignore-certificates variant's mistake: the new view starts after the stable
  // checkpoint with nothing carried over.
  if (ignoreCertificates) return { stable, entries: [] };
  const best = new Map<number, PrePrepare>();
  for (const vc of V)
    for (const c of vc.P) {
      if (c.pp.n <= stable.n) continue;
      const seen = best.get(c.pp.n);
      if (!seen || c.pp.v > seen.v) best.set(c.pp.n, c.pp);
    }
  const top = Math.max(stable.n, ...best.keys());
  const entries: { n: number; reqs: Request[] }[] = [];
  for (let n = stable.n + 1; n <= top; n++) entries.push({ n, reqs: best.get(n)?.reqs ?? [] });
  return { stable, entries };
}
