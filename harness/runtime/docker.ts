// The Docker API client (dockerode) and the few low-level calls every runtime module shares.
// The engine is whatever DOCKER_HOST names (a local socket by default), so a remote engine works.
import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { EXIT, UserError } from "../../core/errors.ts";
import type { ExecResult } from "../../core/runtime.ts";

let client: Docker | undefined;

/** The shared dockerode client (created on first use, so DOCKER_HOST is read late). */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** Where we look for the engine, for messages. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
}

/** True when a Docker engine answers a ping within `timeoutMs`. */
export async function dockerAvailable(timeoutMs = 3000): Promise<boolean> {
  try {
    await withTimeout(docker().ping(), timeoutMs, "ping");
    return true;
  } catch {
    return false;
  }
}

/** Throws a UserError (exit 5) with one clear sentence when no engine answers. */
export async function assertDocker(): Promise<void> {
  if (!(await dockerAvailable())) {
    throw new UserError(
      `No Docker engine answers at ${engineAddress()}; start one (\`make setup\` does it on Debian as root) or point DOCKER_HOST at a running engine.`,
      EXIT.environment,
    );
  }
}

/** Rejects with a clear error when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** HTTP status of a dockerode error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

export interface RunOptions {
  env?: Record<string, string>;
  user?: string;
  timeoutMs?: number;
}

/** Run a command in a running container (docker exec) and collect its output and exit code. */
export async function execIn(
  container: Docker.Container,
  cmd: string[],
  opts: RunOptions = {},
): Promise<ExecResult> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
    User: opts.user,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  out.on("data", (b: Buffer) => stdout.push(b));
  err.on("data", (b: Buffer) => stderr.push(b));
  docker().modem.demuxStream(stream, out, err);
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  try {
    await withTimeout(finished, opts.timeoutMs ?? 60_000, `exec ${JSON.stringify(cmd)}`);
  } catch (e) {
    stream.destroy();
    throw e;
  }
  const info = await exec.inspect();
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  };
}

/** Split Docker's multiplexed log format (8-byte frame headers) into plain text. */
export function demuxBuffer(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const kind = buf[at];
    const size = buf.readUInt32BE(at + 4);
    if (kind > 2 || buf[at + 1] !== 0) return buf.toString("utf8"); // not multiplexed (TTY)
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}
