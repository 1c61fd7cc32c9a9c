// The node image with extra Debian packages, for --bin programs that need another runtime
// (`--image-packages ruby,golang`). Built once per (node image, package set) from the node
// image itself: a container on the host network runs apt-get, and is committed as
// faultline-node-extra:<hash>. No registry: the packages come from the Debian mirror the node
// image was built from. These are images, so `faultline clean` (containers and networks)
// leaves them. The builder container carries no label (a commit would pass its labels on to
// the image and to every container run from it); one left by a killed control process is
// removed by the next build (by its name prefix).
import { createHash } from "node:crypto";
import { EXIT, UserError } from "../../core/errors.ts";
import { normalizePackages } from "../../core/packages.ts";
import { assertDocker, demuxBuffer, docker, withTimeout } from "./docker.ts";
import { assertImage, imageExists, nodeImageTag } from "./image.ts";
import { LABEL } from "./names.ts";

export { normalizePackages };

export const EXTRA_REPO = "faultline-node-extra";
/** Label on an extra image: its packages, comma-separated (for `faultline image status`). */
export const PACKAGES_LABEL = "faultline.extra-packages";
/** Label on an extra image: the node image it was built from. */
export const BASE_LABEL = "faultline.base-image";
/** Builder containers are named BUILDER_PREFIX<hash>-<pid>-<n>. */
export const BUILDER_PREFIX = "faultline-image-extra-";
/** How long apt may take before the build is given up. */
export const BUILD_TIMEOUT_MS = 10 * 60_000;

/** The tag for the node image `base` plus these (normalized) packages. */
export function extraImageTag(base: string, packages: string[]): string {
  const hash = createHash("sha256").update(base).update("\n").update(packages.join("\n"));
  return `${EXTRA_REPO}:${hash.digest("hex").slice(0, 12)}`;
}

const building = new Map<string, Promise<string>>();

/**
 * The tag of an image that is the node image plus `packages`, building it the first time
 * (tens of seconds; later calls return at once). With no packages, the node image's tag.
 * UserError exit 4 for a bad name or a package apt cannot install (with apt's reason);
 * exit 5 when Docker, the node image or the Debian mirror is not there.
 */
export async function ensureImageWithPackages(
  packages: string[],
  opts: { log?: (line: string) => void } = {},
): Promise<string> {
  const names = normalizePackages(packages);
  await assertDocker();
  const base = nodeImageTag();
  await assertImage(base);
  if (names.length === 0) return base;
  const tag = extraImageTag(base, names);
  if (await imageExists(tag)) return tag;
  let pending = building.get(tag);
  if (!pending) {
    pending = build(base, tag, names, opts.log).finally(() => building.delete(tag));
    building.set(tag, pending);
  }
  return pending;
}

async function build(
  base: string,
  tag: string,
  names: string[],
  log?: (line: string) => void,
): Promise<string> {
  log?.(`image: building ${tag} = ${base} + ${names.join(" ")} (once; cached afterwards)`);
  const started = Date.now();
  await removeStaleBuilders();
  const baseConfig = (await docker().getImage(base).inspect()).Config;
  // apt's own error lines ("E: ...") reach stdout so we can quote them; the rest is dropped.
  const script = [
    "export DEBIAN_FRONTEND=noninteractive",
    "apt-get update -qq >/tmp/update.log 2>&1 || { echo 'FAULTLINE-UPDATE-FAILED'; grep -E '^(E|W):' /tmp/update.log | head -n 3; exit 100; }",
    `apt-get install -y -qq --no-install-recommends ${names.join(" ")} >/tmp/install.log 2>&1 || { grep '^E:' /tmp/install.log | head -n 5; exit 101; }`,
    "apt-get clean",
    "rm -rf /var/lib/apt/lists/* /tmp/update.log /tmp/install.log",
  ].join("\n");
  const container = await docker().createContainer({
    name: `${BUILDER_PREFIX}${tag.split(":")[1]}-${process.pid}-${Date.now() % 100000}`,
    Image: base,
    Cmd: ["/bin/sh", "-c", script],
    // Host networking: the build reaches the Debian mirror exactly as build.sh's does.
    HostConfig: { NetworkMode: "host" },
  });
  try {
    await container.start();
    const result = (await withTimeout(
      container.wait(),
      BUILD_TIMEOUT_MS,
      `installing ${names.join(" ")}`,
    )) as { StatusCode: number };
    const output = demuxBuffer(
      (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer,
    ).trim();
    if (result.StatusCode !== 0) throw installError(result.StatusCode, output, names);
    const labels = `LABEL ${LABEL}.image="1" ${PACKAGES_LABEL}="${names.join(",")}" ${BASE_LABEL}="${base}"`;
    const changes = [labels];
    if (baseConfig.Cmd) changes.push(`CMD ${JSON.stringify(baseConfig.Cmd)}`);
    if (baseConfig.WorkingDir) changes.push(`WORKDIR ${baseConfig.WorkingDir}`);
    const [repo, version] = tag.split(":");
    await container.commit({ repo, tag: version, changes });
    log?.(`image: built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return tag;
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** Remove builders that are not running, or have run longer than any build may. */
async function removeStaleBuilders(): Promise<void> {
  const all = await docker().listContainers({ all: true, filters: { name: [BUILDER_PREFIX] } });
  const cutoff = Date.now() / 1000 - BUILD_TIMEOUT_MS / 1000;
  for (const c of all) {
    if (!c.Names.some((n) => n.replace(/^\//, "").startsWith(BUILDER_PREFIX))) continue;
    if (c.State === "running" && c.Created > cutoff) continue;
    await docker()
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  }
}

/** One sentence from apt's output: which package, and apt's reason. */
export function installError(status: number, output: string, names: string[]): UserError {
  const lines = output.split("\n").map((l) => l.trim());
  if (status === 100 || lines.includes("FAULTLINE-UPDATE-FAILED")) {
    const reason = lines.find((l) => /^(E|W):/.test(l))?.replace(/^(E|W):\s*/, "");
    return new UserError(
      `--image-packages: apt-get update failed in the node image, so no package can be installed${reason ? ` (${reason})` : ""}; check that this machine reaches the Debian mirror.`,
      EXIT.environment,
    );
  }
  const errors = lines.filter((l) => l.startsWith("E:")).map((l) => l.replace(/^E:\s*/, ""));
  const named = errors.find((e) => names.some((n) => mentions(e, n)));
  const pkg = named ? names.find((n) => mentions(named, n)) : undefined;
  const reason = (named ?? errors[0] ?? `apt-get exited with status ${status}`).replace(/\.$/, "");
  return new UserError(
    pkg
      ? `--image-packages: apt cannot install ${pkg}: ${reason}.`
      : `--image-packages: apt cannot install ${names.join(", ")}: ${reason}.`,
    EXIT.badInput,
  );
}

function mentions(line: string, pkg: string): boolean {
  const escaped = pkg.replace(/[.+]/g, "\\$&");
  return new RegExp(`(^|[\\s'"])${escaped}($|[\\s'":,.])`).test(line);
}

/** Extra images in the engine: tag, packages, and whether they fit the current node image. */
export async function listExtraImages(): Promise<
  { tag: string; packages: string[]; current: boolean }[]
> {
  const base = nodeImageTag();
  const images = await docker().listImages({ filters: { label: [`${LABEL}.image=1`] } });
  const out: { tag: string; packages: string[]; current: boolean }[] = [];
  for (const img of images) {
    for (const tag of img.RepoTags ?? []) {
      if (!tag.startsWith(`${EXTRA_REPO}:`)) continue;
      const packages = (img.Labels?.[PACKAGES_LABEL] ?? "").split(",").filter(Boolean);
      out.push({ tag, packages, current: img.Labels?.[BASE_LABEL] === base });
    }
  }
  return out.sort((a, b) => a.tag.localeCompare(b.tag));
}
