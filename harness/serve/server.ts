// The store browser's HTTP server (node:http): the run list at /, the runs as JSON at
// /api/runs, any file or folder of the store under /store/..., and /compare?a=RUN&b=RUN, the
// comparison page of two stored runs (compare's own page builder). Only GET and HEAD; nothing
// outside the store is ever read (paths.ts).
import { createReadStream, readdirSync, statSync, type Dirent } from "node:fs";
import http from "node:http";
import { extname, join, relative, sep } from "node:path";
import { UserError } from "../../core/errors.ts";
import { renderComparison } from "../compare/html.ts";
import { storedComparison } from "../compare/stored.ts";
import { STORE_FILES } from "../store.ts";
import { errorPage, folderPage, runListPage, storeHref, type FolderEntry } from "./pages.ts";
import { resolveInStore, storeRealRoot } from "./paths.ts";
import { listRuns } from "./runs.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".jsonl": "text/plain; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".edn": "text/plain; charset=utf-8",
};

export interface StoreServerOptions {
  /** The store's folder. */
  store: string;
  /** How the store is named on the pages (default: the path given). */
  label?: string;
}

export function createStoreServer(opts: StoreServerOptions): http.Server {
  const root = storeRealRoot(opts.store);
  const label = opts.label ?? opts.store;
  return http.createServer((req, res) => {
    handle(req, res, root, label).catch((err: unknown) => {
      const message =
        err instanceof UserError ? err.message : `internal error: ${(err as Error)?.message}`;
      send(
        res,
        err instanceof UserError ? 400 : 500,
        errorPage(err instanceof UserError ? 400 : 500, message),
      );
    });
  });
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: string,
  label: string,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return send(res, 405, errorPage(405, "Only GET and HEAD are served."));
  }
  // The path as sent, not normalized: a "/../" in it is refused, never resolved away.
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const pathname = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  if (pathname === "/" || pathname === "/index.html")
    return send(res, 200, runListPage(label, listRuns(root)));
  if (pathname === "/api/runs")
    return send(res, 200, JSON.stringify(listRuns(root), null, 2), TYPES[".json"]);
  if (pathname === "/compare") return compare(res, root, query);
  if (pathname === "/store") return redirect(res, "/store/");
  if (pathname.startsWith("/store/")) return serveStorePath(req, res, root, pathname.slice(7));
  send(
    res,
    404,
    errorPage(404, `Nothing at ${pathname}: the runs are at /, their files under /store/.`),
  );
}

function serveStorePath(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: string,
  urlPath: string,
): void {
  const found = resolveInStore(root, urlPath);
  if (!found.ok) return send(res, found.status, errorPage(found.status, `Refused: ${found.why}.`));
  const stat = statSync(found.path);
  if (stat.isDirectory()) {
    // Relative links inside a folder page need the trailing slash.
    if (urlPath !== "" && !urlPath.endsWith("/")) return redirect(res, `/store/${urlPath}/`);
    const entries = readdirSync(found.path, { withFileTypes: true })
      .filter((e) => !e.name.includes(".tmp-"))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((entry) => entryOf(found.path, entry));
    return send(res, 200, folderPage(found.rel, entries));
  }
  if (!stat.isFile()) return send(res, 404, errorPage(404, "Not a file."));
  res.writeHead(200, {
    "Content-Type": TYPES[extname(found.path)] ?? "text/plain; charset=utf-8",
    "Content-Length": stat.size,
    "X-Content-Type-Options": "nosniff",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(found.path).pipe(res);
}

/** The comparison page of two runs named by their paths in the store. */
async function compare(
  res: http.ServerResponse,
  root: string,
  query: URLSearchParams,
): Promise<void> {
  const names = [query.get("a"), query.get("b")];
  if (names.some((n) => !n))
    return send(
      res,
      400,
      errorPage(400, "Name two runs to compare: /compare?a=RUN&b=RUN (paths in the store)."),
    );
  const dirs: string[] = [];
  for (const name of names as string[]) {
    // Each name is a path in the store, its segments encoded as in /store/ URLs or not.
    const found = resolveInStore(root, name.split("/").map(encodeURIComponent).join("/"));
    if (!found.ok)
      return send(res, found.status, errorPage(found.status, `Refused ${name}: ${found.why}.`));
    dirs.push(found.path);
  }
  const { comparison, faultOrder } = await storedComparison(dirs);
  const html = renderComparison(comparison, root, faultOrder, (dir) =>
    storeHref(relative(root, dir).split(sep).join("/"), `/${STORE_FILES.report}`),
  );
  send(res, 200, html.replace("<body>", `<body>\n<p><a href="/">all runs</a></p>`));
}

/** A folder's entry; a link counts as what it points to (a `latest` link as a folder). */
function entryOf(dir: string, entry: Dirent): FolderEntry {
  try {
    const st = statSync(join(dir, entry.name));
    return { name: entry.name, dir: st.isDirectory(), size: st.size };
  } catch {
    return { name: entry.name, dir: false, size: 0 };
  }
}

function redirect(res: http.ServerResponse, to: string): void {
  res.writeHead(302, { Location: to });
  res.end();
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  type = TYPES[".html"]!,
): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
