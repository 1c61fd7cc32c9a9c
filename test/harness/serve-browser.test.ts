// `faultline serve` in headless Chromium: the run list, filtering it by typing, opening a
// violation's report (its anomaly timeline as Chromium draws it: the failing op highlighted,
// a screenshot of it), comparing two picked runs; paths out of the store refused, as sent by
// Chromium and as sent raw; the command's errors and Ctrl-C. Chromium is Debian's (`make
// setup` installs it): without it these tests fail saying so, they never skip.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { Chromium, decodePng, type Page } from "./chromium.ts";
import { makeStore, type FixtureRun } from "./store-fixtures.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const FAULTLINE = path.join(ROOT, "bin/faultline");
/** Screenshots are kept here for a person to look at. */
const SHOTS = path.join(os.tmpdir(), "faultline-serve-screenshots");

let work: string;
let store: string;
let runs: FixtureRun[];
let server: ResultPromise;
let base: string;
let browser: Chromium;
let page: Page;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-serve-"));
  store = path.join(work, "store");
  runs = await makeStore(store);
  // A secret next to the store, and a link in the store that points at it.
  fs.writeFileSync(path.join(work, "secret.txt"), "not for the browser\n");
  fs.symlinkSync(work, path.join(store, "escape"));
  fs.mkdirSync(SHOTS, { recursive: true });
  server = execa(FAULTLINE, ["serve", "--store", store, "--port", "0"], {
    cwd: ROOT,
    reject: false,
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = "";
    server.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]!);
    });
    void server.then((r) => reject(new Error(`serve exited early: ${r.stderr}`)));
    setTimeout(() => reject(new Error(`serve printed no address in 60 s: ${out}`)), 60_000).unref();
  });
  browser = await Chromium.launch();
  page = await browser.newPage();
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill("SIGINT");
    // Ctrl-C is tested below; here a serve that ignored it must not keep the file running.
    setTimeout(() => server.kill("SIGKILL"), 10_000).unref();
  }
  await server;
  fs.rmSync(work, { recursive: true, force: true });
});

const visibleRows = () =>
  page.evaluate<string[]>(
    `[...document.querySelectorAll("tr.run")].filter((r) => r.offsetParent !== null).map((r) => r.dataset.path)`,
  );

test("the list shows every run with its target, variant, workload, faults, verdict and date", async () => {
  await page.goto(`${base}/`);
  const rows = await page.evaluate<string[][]>(
    `[...document.querySelectorAll("tr.run")].map((r) => [...r.cells].slice(1, 8).map((c) => c.innerText.trim()))`,
  );
  assert.deepEqual(rows, [
    ["2026-11-22 12:00:00Z", "paxos", "correct", "lin-kv", "partition", "7", "VALID"],
    [
      "2026-11-21 11:00:00Z",
      "raft",
      "local-read",
      "lin-kv",
      "partition",
      "7",
      "INVALID\nlinearizable: not linearizable: op 26->28 (process 3: read b 1) cannot be linearized on key b",
    ],
    ["2026-11-20 10:00:00Z", "raft", "correct", "lin-kv", "partition", "7", "VALID"],
  ]);
  assert.equal(
    await page.evaluate<string>(`document.getElementById("count").innerText`),
    "3 of 3 runs",
  );
  await page.screenshot(path.join(SHOTS, "list.png"));
});

test("typing in the filter box shows fewer rows; the verdict and target menus filter too", async () => {
  await page.goto(`${base}/`);
  await page.type("#filter", "local-read");
  await page.waitFor(`document.getElementById("count").innerText === "1 of 3 runs"`);
  assert.deepEqual(await visibleRows(), [path.relative(store, runs[1]!.dir)]);
  // Every word must match: "raft correct" leaves the correct raft run only.
  await page.evaluate(
    `(() => { const f = document.getElementById("filter"); f.value = ""; f.dispatchEvent(new Event("input")); })()`,
  );
  await page.type("#filter", "raft correct");
  await page.waitFor(`document.getElementById("count").innerText === "1 of 3 runs"`);
  assert.deepEqual(await visibleRows(), [path.relative(store, runs[0]!.dir)]);
  await page.evaluate(
    `(() => { const f = document.getElementById("filter"); f.value = ""; f.dispatchEvent(new Event("input")); })()`,
  );
  await page.evaluate(
    `(() => { const s = document.getElementById("target"); s.value = "paxos"; s.dispatchEvent(new Event("change")); })()`,
  );
  assert.deepEqual(await visibleRows(), [path.relative(store, runs[2]!.dir)]);
  await page.evaluate(
    `(() => { const s = document.getElementById("target"); s.value = ""; s.dispatchEvent(new Event("change")); const v = document.getElementById("verdict"); v.value = "invalid"; v.dispatchEvent(new Event("change")); })()`,
  );
  assert.deepEqual(await visibleRows(), [path.relative(store, runs[1]!.dir)]);
});

test("opening a violation's report: the timeline shows the failing op highlighted (DOM and screenshot)", async () => {
  await page.goto(`${base}/`);
  const invalid = path.relative(store, runs[1]!.dir);
  await page.click(`tr.run[data-path="${invalid}"] a.report`);
  await page.waitFor(
    `location.pathname.endsWith("/report.html") && document.readyState === "complete"`,
  );
  assert.equal(await page.evaluate<string>(`location.pathname`), `/store/${invalid}/report.html`);
  assert.equal(
    await page.evaluate<string>(`document.querySelector(".verdict").innerText`),
    "INVALID",
  );
  const failing = await page.evaluate<{
    count: number;
    width: number;
    height: number;
    fill: string;
    visible: boolean;
    box: { x: number; y: number; width: number; height: number };
  }>(`(() => {
    const all = document.querySelectorAll("g.tl-failing");
    const rect = all[0].querySelector("rect");
    rect.scrollIntoView({ block: "center" });
    const r = rect.getBoundingClientRect();
    const at = document.elementFromPoint(r.left + 3, r.top + r.height / 2);
    return {
      count: all.length,
      width: r.width,
      height: r.height,
      fill: getComputedStyle(rect).fill,
      visible: at === rect || rect.contains(at) || all[0].contains(at),
      box: { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height },
    };
  })()`);
  assert.equal(failing.count, 1, "one failing op");
  assert.ok(
    failing.width > 10 && failing.height > 8,
    `drawn large enough: ${JSON.stringify(failing)}`,
  );
  assert.equal(failing.fill, "rgb(198, 40, 40)");
  assert.ok(failing.visible, "nothing covers the failing op");
  assert.equal(
    await page.evaluate<number>(`document.querySelectorAll("g.tl-conflicting").length`),
    1,
  );
  assert.ok(
    (await page.evaluate<number>(`document.querySelectorAll(".tl-lin-point").length`)) >= 1,
    "the longest linearization is marked",
  );
  // The screenshot of the timeline, and of the failing op alone: its pixels are its red.
  const svg = await page.evaluate<{ x: number; y: number; width: number; height: number }>(`(() => {
    const r = document.querySelector("svg.timeline").getBoundingClientRect();
    return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
  })()`);
  const shot = path.join(SHOTS, "timeline.png");
  const png = await page.screenshot(shot, svg);
  assert.ok(png.length > 2000, "a timeline screenshot with something in it");
  const inner = {
    x: failing.box.x + 3,
    y: failing.box.y + 3,
    width: Math.max(4, failing.box.width - 6),
    height: Math.max(2, failing.box.height - 6),
  };
  const { rgba, width, height } = decodePng(
    await page.screenshot(path.join(SHOTS, "failing-op.png"), inner),
  );
  let red = 0;
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = [rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!];
    if (Math.abs(r - 198) < 30 && g < 80 && b < 80) red++;
  }
  assert.ok(
    red / (width * height) > 0.5,
    `the failing op is drawn red: ${red} of ${width * height} pixels`,
  );
});

test("a run's files open, and two picked runs are compared with compare's page", async () => {
  await page.goto(`${base}/`);
  const valid = path.relative(store, runs[0]!.dir);
  const invalid = path.relative(store, runs[1]!.dir);
  await page.click(`tr.run[data-path="${valid}"] a.files`);
  await page.waitFor(
    `location.pathname === "/store/${valid}/" && document.readyState === "complete"`,
  );
  const names = await page.evaluate<string[]>(
    `[...document.querySelectorAll("td a")].map((a) => a.innerText)`,
  );
  for (const f of [
    "history.jsonl",
    "logs/",
    "report.html",
    "results.json",
    "test.json",
    "junit.xml",
  ])
    assert.ok(names.includes(f), `${f} listed: ${names.join(", ")}`);
  await page.click(`a[href$="/history.jsonl"]`);
  await page.waitFor(`location.pathname.endsWith("/history.jsonl")`);
  const first = JSON.parse(
    await page.evaluate<string>(`document.body.innerText.split("\\n")[0]`),
  ) as { index: number };
  assert.equal(first.index, 0);

  await page.goto(`${base}/`);
  assert.equal(await page.evaluate<boolean>(`document.getElementById("compare").disabled`), true);
  await page.click(`tr.run[data-path="${valid}"] input.pick`);
  await page.click(`tr.run[data-path="${invalid}"] input.pick`);
  assert.equal(await page.evaluate<boolean>(`document.getElementById("compare").disabled`), false);
  await page.click("#compare");
  await page.waitFor(`location.pathname === "/compare" && document.readyState === "complete"`);
  assert.equal(
    await page.evaluate<string>(`document.querySelector("h1").innerText`),
    "Faultline comparison",
  );
  const table = await page.evaluate<string[][]>(
    `[...document.querySelector("table").rows].slice(1).map((r) => [r.cells[0].innerText, r.cells[1].innerText])`,
  );
  // In the list's order (newest first), each with its own verdict.
  assert.deepEqual(table, [
    ["raft:local-read", "INVALID"],
    ["raft", "valid"],
  ]);
  await page.screenshot(path.join(SHOTS, "compare.png"));
  // The comparison's links open the runs' reports through the server.
  await page.click(`a[href="/store/${invalid}/report.html"]`);
  await page.waitFor(`location.pathname === "/store/${invalid}/report.html"`);
  assert.equal(await page.evaluate<number>(`document.querySelectorAll("g.tl-failing").length`), 1);
});

/** A GET with the path exactly as given (no client normalizing "..").  */
function rawGet(pathAndQuery: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: pathAndQuery, method: "GET" },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("paths out of the store are refused: ../, encoded ../, absolute, through a link", async () => {
  const secret = path.relative(path.parse(work).root, path.join(work, "secret.txt"));
  const climbs = "../".repeat(12);
  const refused = [
    `/store/${climbs}${secret}`,
    `/store/${climbs.replaceAll("..", "%2e%2e")}${secret}`,
    `/store/${climbs.replaceAll("..", "%2E%2E").replaceAll("/", "%2f")}${secret}`,
    `/store/raft/..%2f..%2f..%2fsecret.txt`,
    `/store/%2F${secret.split("/").join("%2F")}`,
    `/store//${secret}`,
    `/store/escape/secret.txt`,
    `/store/raft/..%5c..%5csecret.txt`,
    `/compare?a=${encodeURIComponent("../..")}&b=raft/latest`,
    `/compare?a=escape&b=raft/latest`,
    `/${secret}`,
  ];
  for (const p of refused) {
    const r = await rawGet(p);
    assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
    assert.doesNotMatch(r.body, /not for the browser/, p);
  }
  assert.equal((await rawGet(`/store/escape/secret.txt`)).status, 403);
  assert.equal((await rawGet(`/store/%2e%2e/secret.txt`)).status, 403);
  // Inside the store, a `latest` link is followed.
  const latest = await rawGet(`/store/raft/latest/test.json`);
  assert.equal(latest.status, 200);
  assert.equal((JSON.parse(latest.body) as { variant: string }).variant, "local-read");
  // Chromium itself, asked for ../ (plain and encoded): never the secret.
  for (const p of [
    `/store/../../${secret}`,
    `/store/%2e%2e/%2e%2e/${secret}`,
    `/store/escape/secret.txt`,
  ]) {
    await page.goto(`${base}${p}`);
    const text = await page.evaluate<string>(`document.body.innerText`);
    assert.doesNotMatch(text, /not for the browser/, p);
    assert.match(text, /^(403|404)/, p);
  }
});

test("serve's errors are one sentence: a store that is not there, a port in use; Ctrl-C stops it", async () => {
  const missing = await execa(FAULTLINE, ["serve", "--store", path.join(work, "nope")], {
    cwd: ROOT,
    reject: false,
  });
  assert.equal(missing.exitCode, 4);
  assert.match(
    missing.stderr,
    /^faultline: No store at .*nope: run `faultline run` to make one, or pass --store/,
  );
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const port = (holder.address() as net.AddressInfo).port;
  const busy = await execa(FAULTLINE, ["serve", "--store", store, "--port", String(port)], {
    cwd: ROOT,
    reject: false,
  });
  holder.close();
  assert.equal(busy.exitCode, 5);
  assert.equal(
    busy.stderr.trim(),
    `faultline: Port ${port} on 127.0.0.1 is in use; stop what holds it or pass another --port (0 picks a free one).`,
  );
  // Ctrl-C: the server stops and the command exits 0.
  const second = execa(FAULTLINE, ["serve", "--store", store, "--port", "0"], {
    cwd: ROOT,
    reject: false,
  });
  await new Promise<void>((resolve) => {
    let out = "";
    second.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (/Ctrl-C stops/.test(out)) resolve();
    });
    // A serve that ended early fails the assertions below instead of hanging the test.
    void second.then(() => resolve());
  });
  second.kill("SIGINT");
  const done = await second;
  assert.equal(done.exitCode, 0, done.stderr);
  assert.match(done.stdout, /Stopped\.$/);
});
