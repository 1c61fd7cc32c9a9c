// Ballots: "leaders should include their ID in messages" (lecture notes, Paxos). A ballot is
// (round, leader id), ordered by round and then by id, so two nodes never lead the same ballot
// and every acceptor can tell a newer leader's messages from an older one's.

export type Ballot = [round: number, leader: string];

/** Below every real ballot: what an acceptor has promised before it hears of any leader. */
export const NO_BALLOT: Ballot = [0, ""];

/** Negative if a < b, zero if equal, positive if a > b. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export function sameBallot(a: Ballot, b: Ballot): boolean {
  return compareBallots(a, b) === 0;
}

/** A map key for a ballot. */
export function ballotKey(b: Ballot): string {
  return `${b[0]}.${b[1]}`;
}
