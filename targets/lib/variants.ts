// A node program's `--variant` flag: "correct" (or none), or one of its broken variants.

/** The variant named on the command line, checked against the program's own. */
export function parseVariantOf<V extends string>(
  protocol: string,
  variants: Record<V, string>,
  name: string | undefined,
): V | "correct" {
  if (name === undefined || name === "correct") return "correct";
  if (name in variants) return name as V;
  throw new Error(
    `unknown ${protocol} variant ${name}; known: correct, ${Object.keys(variants).join(", ")}`,
  );
}
