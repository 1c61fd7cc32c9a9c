// Exit codes and the one error type the CLI turns into a single clear sentence.

export const EXIT = {
  valid: 0,
  invalid: 1,
  unknown: 2,
  /** The harness itself failed in a way nobody predicted (a bug: the message says where). */
  harnessError: 3,
  /** Bad input: an unknown flag value, a malformed history, an unknown target. */
  badInput: 4,
  /** The environment is not ready: no Docker engine, no node image. `faultline doctor` tells more. */
  environment: 5,
  /** The run was interrupted (SIGINT/SIGTERM); partial results are stored and marked incomplete. */
  interrupted: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose message is one sentence meant for the user, with the exit code to use. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.badInput,
  ) {
    super(message);
    this.name = "UserError";
  }
}
