// Authenticated messages for PBFT [B2]: every protocol message is signed by the replica that
// made it, so a receiver rejects a message changed in transit or claiming another sender, and
// a replica can show a third one what it received (the prepared certificates of a VIEW-CHANGE,
// the checkpoint proofs) without being trusted.
//
// Keys: each replica's Ed25519 key pair is derived from a secret of the run and its own id.
// Every replica can therefore compute every key; a real deployment would hand each replica
// its private key and the others' public keys only. Here the adversary is the traitor's host
// (it changes, forges and replays messages, never the program's keys), so what matters is
// that nothing but the program signs.
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
  type KeyObject,
} from "node:crypto";

/** Signs as one replica and checks any replica's signature. */
export interface Signer {
  sign(data: string): string;
  verify(from: string, data: string, sig: string): boolean;
}

/** The DER prefix that turns a 32-byte Ed25519 seed into a PKCS#8 private key. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function seedOf(secret: string, id: string): Buffer {
  return createHash("sha256").update(`pbft-key/${secret}/${id}`).digest();
}

/** Ed25519 signatures: what the node program uses. */
export function ed25519Signer(secret: string, self: string, ids: string[]): Signer {
  const privateOf = (id: string): KeyObject =>
    createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seedOf(secret, id)]),
      format: "der",
      type: "pkcs8",
    });
  const mine = privateOf(self);
  const publics = new Map(ids.map((id) => [id, createPublicKey(privateOf(id))]));
  return {
    sign: (data) => edSign(null, Buffer.from(data), mine).toString("base64"),
    verify(from, data, sig) {
      const key = publics.get(from);
      if (!key || typeof sig !== "string") return false;
      try {
        return edVerify(null, Buffer.from(data), key, Buffer.from(sig, "base64"));
      } catch {
        return false;
      }
    },
  };
}

/** Keyed hashes standing in for signatures, about 100 times cheaper: for simulations that
 *  run thousands of operations in seconds. The verifier recomputes the signer's hash, so it
 *  detects tampering and forging in transit exactly as signatures do, but (every verifier
 *  holding every key) it would prove nothing against a replica program that lies. */
export function hmacSigner(secret: string, self: string): Signer {
  const mac = (id: string, data: string) =>
    createHmac("sha256", seedOf(secret, id)).update(data).digest("base64");
  return {
    sign: (data) => mac(self, data),
    verify: (from, data, sig) => typeof sig === "string" && mac(from, data) === sig,
  };
}

/** JSON with object keys sorted: the bytes a signature covers, whatever order keys travel in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A digest of any value (a request, the state after a sequence number). */
export function digest(value: unknown): string {
  return createHash("sha256").update(canonical(value)).digest("base64");
}
