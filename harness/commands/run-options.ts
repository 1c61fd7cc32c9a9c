// The flags `run` and `compare` share word for word: how long faults last, the clients'
// rate and timeout, the settle time and the check's time limit.
import { RUN_DEFAULTS } from "../run/spec.ts";

export const SHARED_RUN_OPTIONS = {
  "nemesis-interval": {
    type: "number",
    default: RUN_DEFAULTS.nemesisIntervalSeconds,
    describe: "Seconds each fault lasts, and between faults",
  },
  rate: {
    type: "number",
    default: RUN_DEFAULTS.rate,
    describe: "Total client ops per second (0 = unlimited)",
  },
  "timeout-ms": {
    type: "number",
    default: RUN_DEFAULTS.timeoutMs,
    describe: "Client timeout per op; a timed-out op is info",
  },
  settle: {
    type: "number",
    default: RUN_DEFAULTS.settleSeconds,
    describe: "Seconds to recover after the final heal, before the final reads",
  },
  byzantine: {
    type: "number",
    describe:
      "Traitors of each byzantine fault (--nemesis byzantine); default: what the target tolerates with --nodes",
  },
  "check-time-limit": {
    type: "number",
    default: RUN_DEFAULTS.checkTimeLimitMs / 1000,
    describe: "Seconds the checker may search before answering unknown",
  },
} as const;
