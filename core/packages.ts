// Debian package names, as `--image-packages` takes them: checked before anything is built.
import { EXIT, UserError } from "./errors.ts";

/** Debian policy 5.6.7: lower-case letters, digits, + - and ., at least two characters,
 *  starting with a letter or digit. */
const DEBIAN_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** The sorted, de-duplicated package list; a UserError (exit 4) for a name Debian forbids. */
export function normalizePackages(packages: string[]): string[] {
  const names = [...new Set(packages.map((p) => p.trim()).filter((p) => p !== ""))].sort();
  const bad = names.filter((p) => !DEBIAN_NAME.test(p));
  if (bad.length > 0) {
    throw new UserError(
      `--image-packages: ${bad.map((b) => JSON.stringify(b)).join(", ")} ${bad.length === 1 ? "is not a Debian package name" : "are not Debian package names"} (lower-case letters, digits, "+", "-" and ".", e.g. ruby,golang).`,
      EXIT.badInput,
    );
  }
  return names;
}
