// Headless Chromium driven from a test over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ended by NUL on file descriptors 3 and 4), so no
// WebSocket client and no npm package is needed. Chromium is Debian's (`make setup` installs
// it); a machine without it fails the test that needs it, saying how to install it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { inflateSync } from "node:zlib";

const CANDIDATES = ["chromium", "chromium-headless-shell", "chromium-browser", "google-chrome"];

/** The Chromium binary: $CHROMIUM, else the first of CANDIDATES on the PATH. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    for (const name of CANDIDATES) {
      const p = path.join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

export const NO_CHROMIUM =
  "Chromium is not installed, and the browser tests need it: run `make setup` (as root on Debian it installs Debian's chromium) or `apt-get install chromium`, or set CHROMIUM to a Chromium binary.";

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class Chromium {
  private nextId = 1;
  private pending = new Map<
    number,
    { resolve: (m: Message) => void; reject: (e: Error) => void }
  >();
  private buffer = "";
  private exited = false;
  private stderr = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly input: Writable,
    private readonly output: Readable,
    private readonly profile: string,
  ) {
    output.setEncoding("utf8");
    output.on("data", (chunk: string) => this.receive(chunk));
    child.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on("exit", () => {
      this.exited = true;
      for (const p of this.pending.values())
        p.reject(new Error(`Chromium exited; its last words: ${this.stderr.trim().slice(-800)}`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Chromium> {
    const bin = findChromium();
    if (!bin) throw new Error(NO_CHROMIUM);
    if (!existsSync(bin)) throw new Error(`CHROMIUM=${bin} does not exist. ${NO_CHROMIUM}`);
    const profile = mkdtempSync(path.join(os.tmpdir(), "faultline-chromium-"));
    const child = spawn(
      bin,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--no-proxy-server",
        // Nothing but the pages a test loads: no update checks, sync, pings or reports.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-breakpad",
        "--no-pings",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--hide-scrollbars",
        "--remote-debugging-pipe",
        `--user-data-dir=${profile}`,
        "--window-size=1400,1000",
        "about:blank",
      ],
      // Its own process group, so close() can end Chromium's helper processes too: a helper
      // left behind keeps our pipes open, and the test file's process would never exit.
      { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"], detached: true },
    );
    const killGroup = () => killProcessGroup(child);
    process.once("exit", killGroup);
    child.once("exit", () => process.off("exit", killGroup));
    const browser = new Chromium(
      child,
      child.stdio[3] as Writable,
      child.stdio[4] as Readable,
      profile,
    );
    await new Promise<void>((resolve, reject) => {
      child.once("error", (err) =>
        reject(new Error(`Cannot start Chromium (${bin}): ${err.message}`)),
      );
      child.once("spawn", () => resolve());
    });
    await browser.send("Browser.getVersion");
    return browser;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end;
    while ((end = this.buffer.indexOf("\0")) >= 0) {
      const msg = JSON.parse(this.buffer.slice(0, end)) as Message;
      this.buffer = this.buffer.slice(end + 1);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.resolve(msg);
      }
    }
  }

  /** One DevTools command; its result, or an Error with Chromium's message. */
  async send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    if (this.exited) throw new Error(`Chromium has exited: ${this.stderr.trim().slice(-800)}`);
    const id = this.nextId++;
    const reply = new Promise<Message>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    this.input.write(
      JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0",
    );
    const msg = await withTimeout(reply, 30_000, `Chromium did not answer ${method} in 30 s`);
    if (msg.error) throw new Error(`${method}: ${msg.error.message}`);
    return msg.result ?? {};
  }

  async newPage(): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, String(sessionId));
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    return page;
  }

  /** Ends Chromium and every helper process it started, and lets go of their pipes. */
  async close(): Promise<void> {
    if (!this.exited) {
      await withTimeout(this.send("Browser.close"), 5000, "").catch(() => undefined);
      await new Promise<void>((resolve) => {
        if (this.exited) return resolve();
        const t = setTimeout(resolve, 5000);
        this.child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    // Helpers (renderer, GPU, network service) can outlive the browser process on a busy
    // machine; they are in its process group.
    killProcessGroup(this.child);
    this.input.destroy();
    this.output.destroy();
    this.child.stderr?.destroy();
    this.child.unref();
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    private readonly browser: Chromium,
    private readonly sessionId: string,
  ) {}

  send(method: string, params: Record<string, unknown> = {}) {
    return this.browser.send(method, params, this.sessionId);
  }

  /** The value of a JavaScript expression in the page (awaited when it is a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    const ex = r.exceptionDetails as
      { exception?: { description?: string }; text?: string } | undefined;
    if (ex) throw new Error(`in the page: ${ex.exception?.description ?? ex.text}`);
    return (r.result as { value: T }).value;
  }

  /** Load `url` and wait until the page has loaded. */
  async goto(url: string): Promise<void> {
    const r = await this.send("Page.navigate", { url });
    if (r.errorText) throw new Error(`Chromium could not load ${url}: ${String(r.errorText)}`);
    await this.waitFor(`document.readyState === "complete" && location.href !== "about:blank"`);
  }

  /** Wait (up to 10 s) until `expression` is true in the page. */
  async waitFor(expression: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ok = await this.evaluate<boolean>(`Boolean(${expression})`).catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The centre of the first element matching `selector`, scrolled into view. */
  async centre(selector: string): Promise<{ x: number; y: number }> {
    const box = await this.evaluate<{ x: number; y: number } | null>(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) return null;
      el.scrollIntoView({ block: "center" });
      const r = el.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`no element matches ${selector}`);
    return box;
  }

  /** A real mouse click (pressed and released) on the element's centre. */
  async click(selector: string): Promise<void> {
    const { x, y } = await this.centre(selector);
    for (const type of ["mousePressed", "mouseReleased"])
      await this.send("Input.dispatchMouseEvent", { type, x, y, button: "left", clickCount: 1 });
  }

  /** Focus the element and type `text` into it, as a keyboard would insert it. */
  async type(selector: string, text: string): Promise<void> {
    await this.click(selector);
    await this.send("Input.insertText", { text });
  }

  /** A PNG of the page, or of `clip` (CSS pixels of the page), written to `file`. */
  async screenshot(
    file: string,
    clip?: { x: number; y: number; width: number; height: number },
  ): Promise<Buffer> {
    const r = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      ...(clip ? { clip: { ...clip, scale: 1 } } : {}),
    });
    const png = Buffer.from(String(r.data), "base64");
    writeFileSync(file, png);
    return png;
  }
}

/** The pixels of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are). */
export function decodePng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("latin1", pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour] = [body[8], body[9]];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || body[12] !== 0)
        throw new Error(`PNG of depth ${depth}, colour type ${colour}: not decoded here`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === "IDAT") data.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const out = Buffer.alloc(width * height * 4);
  const prev = Buffer.alloc(stride);
  const row = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const x = line[i]!;
      let v: number;
      if (filter === 0) v = x;
      else if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      row[i] = v & 0xff;
    }
    for (let px = 0; px < width; px++) {
      for (let ch = 0; ch < 4; ch++)
        out[(y * width + px) * 4 + ch] = ch < channels ? row[px * channels + ch]! : 255;
    }
    row.copy(prev);
  }
  return { width, height, rgba: out };
}

/** SIGKILL to the process group that `child` leads (spawned detached); gone already is fine. */
function killProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // ESRCH: every process of the group has exited.
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
