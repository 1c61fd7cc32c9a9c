// Per-node clock offsets through libfaketime (in the node image). Every process of a node's
// container preloads libfaketime and reads its offset from a file the runtime rewrites; the
// host's clock is never touched. Monotonic clocks are left alone so timers keep working.

/** Inside the node container: the file holding the offset, in libfaketime's "+5" form. */
export const FAKETIME_FILE = "/faultline/faketime";
const LIBFAKETIME = "/usr/local/lib/libfaketime.so.1"; // a link made by harness/image/build.sh
/** libfaketime re-reads the file at most this often; a new offset shows within this time. */
export const CLOCK_REFRESH_SECONDS = 1;

/** Environment that puts a node's processes under libfaketime. */
export function fakeClockEnv(): Record<string, string> {
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: FAKETIME_FILE,
    FAKETIME_CACHE_DURATION: String(CLOCK_REFRESH_SECONDS),
    DONT_FAKE_MONOTONIC: "1",
  };
}

/** The file's content for an offset in seconds: "+5", "-2.5", "+0". */
export function faketimeSpec(seconds: number): string {
  if (!Number.isFinite(seconds))
    throw new Error(`clock offset must be a finite number, not ${seconds}`);
  const text = Number(seconds.toFixed(3)).toString();
  return (seconds < 0 ? text : `+${text}`) + "\n";
}
