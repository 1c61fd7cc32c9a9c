// The node base image built by harness/image/build.sh, tagged by a hash of its recipe.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EXIT, UserError } from "../../core/errors.ts";
import { docker, statusOf } from "./docker.ts";

const recipeDir = fileURLToPath(new URL("../image/", import.meta.url));
/** The recipe files, in the order build.sh hashes them (`cat build.sh packages.txt | sha256sum`). */
export const RECIPE_FILES = ["build.sh", "packages.txt"].map((f) => recipeDir + f);
export const BUILD_SCRIPT = recipeDir + "build.sh";

/** faultline-node:<first 12 hex digits of the recipe's sha256>. */
export function nodeImageTag(): string {
  const hash = createHash("sha256");
  for (const file of RECIPE_FILES) hash.update(readFileSync(file));
  return `faultline-node:${hash.digest("hex").slice(0, 12)}`;
}

export async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker().getImage(tag).inspect();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}

/** Throws a UserError (exit 5) naming the fix when the image is not there. */
export async function assertImage(tag: string): Promise<void> {
  if (await imageExists(tag)) return;
  const fix = tag.startsWith("faultline-node:")
    ? "run `make setup` (or `faultline image build`) to build it"
    : "build or pull it first";
  throw new UserError(`The image ${tag} is not in the Docker engine; ${fix}.`, EXIT.environment);
}
