// Node hosts as local processes on 127.0.0.1 (no Docker), for tests: each host gets its own
// client and peer ports and its own state directory.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { bundle } from "../../targets/host/bundle.ts";
import { requestOnce } from "../../targets/host/connection.ts";

export interface LocalHost {
  name: string;
  clientPort: number;
  peerPort: number;
  stateDir: string;
  proc?: ChildProcess;
}

export class LocalHosts {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-hosts-"));
  readonly hosts: LocalHost[];

  constructor(
    names: string[],
    basePort: number,
    readonly program: string[],
    /** Extra host flags (before `--`). */
    readonly hostArgs: string[] = [],
  ) {
    this.hosts = names.map((name, i) => ({
      name,
      clientPort: basePort + 2 * i,
      peerPort: basePort + 2 * i + 1,
      stateDir: path.join(this.dir, name),
    }));
  }

  /** Bundle a TypeScript entry (relative to this folder's module URL) into the temp dir. */
  async bundleTo(entry: URL, name: string): Promise<string> {
    const file = path.join(this.dir, `${name}.js`);
    fs.writeFileSync(file, await bundle(fileURLToPath(entry)));
    return file;
  }

  get topologyNodes(): Record<string, string> {
    return Object.fromEntries(this.hosts.map((h) => [h.name, `127.0.0.1:${h.peerPort}`]));
  }

  host(name: string): LocalHost {
    return this.hosts.find((h) => h.name === name)!;
  }

  async start(name: string): Promise<void> {
    await this.launch(name);
    await this.awaitReady(name);
  }

  /** Start a host process without waiting for its program (to watch it fail, say). */
  async launch(name: string): Promise<ChildProcess> {
    const h = this.host(name);
    const hostJs = await this.bundleTo(
      new URL("../../targets/host/main.ts", import.meta.url),
      "host",
    );
    const proc = spawn(
      "node",
      [
        hostJs,
        "--client-port",
        String(h.clientPort),
        "--peer-port",
        String(h.peerPort),
        "--state-dir",
        h.stateDir,
        "--log-file",
        path.join(h.stateDir, "host.log"),
        ...this.hostArgs,
        "--",
        ...this.program,
      ],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    h.proc = proc;
    return proc;
  }

  /** Resolves with the host's exit code when its process ends. */
  exited(name: string): Promise<number | null> {
    const proc = this.host(name).proc!;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      return Promise.resolve(proc.exitCode);
    }
    return new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
  }

  /** The endpoints the control process's service links connect to. */
  get serviceEndpoints(): { node: string; host: string; port: number }[] {
    return this.hosts.map((h) => ({ node: h.name, host: "127.0.0.1", port: h.clientPort }));
  }

  /** Send the topology until the host says its program is ready. */
  async awaitReady(name: string, timeoutMs = 10_000): Promise<void> {
    const h = this.host(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await requestOnce(
        "127.0.0.1",
        name,
        { type: "host_topology", node_id: name, nodes: this.topologyNodes },
        500,
        h.clientPort,
      );
      if (typeof r !== "string" && r.ready) return;
      if (Date.now() > deadline) throw new Error(`${name} not ready: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** SIGKILL a host (and, with it gone, its program exits when stdin closes). */
  kill(name: string): void {
    this.host(name).proc?.kill("SIGKILL");
  }

  log(name: string): string {
    const file = path.join(this.host(name).stateDir, "host.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }

  stopAll(): void {
    for (const h of this.hosts) h.proc?.kill("SIGKILL");
  }
}
