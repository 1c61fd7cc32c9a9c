// Maelstrom's error table, shared by nodes (which send error bodies) and the harness-side
// client (which turns them into history completions). One place, so both sides agree.
//
// "definite" means the request certainly did not take effect (history: fail); an indefinite
// error means it may or may not have (history: info).

export interface ErrorKind {
  code: number;
  name: string;
  definite: boolean;
}

export const ERRORS = {
  timeout: { code: 0, name: "timeout", definite: false },
  nodeNotFound: { code: 1, name: "node-not-found", definite: true },
  notSupported: { code: 10, name: "not-supported", definite: true },
  temporarilyUnavailable: { code: 11, name: "temporarily-unavailable", definite: true },
  malformedRequest: { code: 12, name: "malformed-request", definite: true },
  crash: { code: 13, name: "crash", definite: false },
  abort: { code: 14, name: "abort", definite: true },
  keyDoesNotExist: { code: 20, name: "key-does-not-exist", definite: true },
  keyAlreadyExists: { code: 21, name: "key-already-exists", definite: true },
  preconditionFailed: { code: 22, name: "precondition-failed", definite: true },
  txnConflict: { code: 30, name: "txn-conflict", definite: true },
} as const satisfies Record<string, ErrorKind>;

const byCode = new Map<number, ErrorKind>(Object.values(ERRORS).map((e) => [e.code, e]));

/** The table entry for a code. Unknown codes are treated as indefinite (the safe choice). */
export function errorKind(code: number): ErrorKind {
  return byCode.get(code) ?? { code, name: `error-${code}`, definite: false };
}
