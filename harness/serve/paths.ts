// Which file of the store a URL names, and never one outside it: every segment is decoded
// once, segments that climb or name the root (.., ., empty, with a slash, backslash or NUL
// once decoded) are refused, and the path found is resolved with its links and must still
// lie inside the store's own real path (a link out of the store is refused too).
import { realpathSync } from "node:fs";
import { join, sep } from "node:path";

export type Resolved =
  { ok: true; path: string; rel: string } | { ok: false; status: 403 | 404; why: string };

/** The store's root, its links resolved: what every served path must lie under. */
export function storeRealRoot(storeRoot: string): string {
  return realpathSync(storeRoot);
}

/** `urlPath` is the part of the URL's path after the route's prefix, still encoded
 *  ("raft/2026.../report.html"); "" names the store's root. */
export function resolveInStore(realRoot: string, urlPath: string): Resolved {
  const segments: string[] = [];
  const raw = urlPath === "" ? [] : urlPath.replace(/\/$/, "").split("/");
  for (const part of raw) {
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return { ok: false, status: 404, why: "a malformed escape in the path" };
    }
    if (seg === "" || seg === "." || seg === "..")
      return { ok: false, status: 403, why: "the path leaves the store" };
    if (/[/\\\0]/.test(seg)) return { ok: false, status: 403, why: "the path leaves the store" };
    segments.push(seg);
  }
  let real: string;
  try {
    real = realpathSync(join(realRoot, ...segments));
  } catch {
    return { ok: false, status: 404, why: "no such file in the store" };
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep))
    return { ok: false, status: 403, why: "the path leads out of the store" };
  return { ok: true, path: real, rel: segments.join("/") };
}
