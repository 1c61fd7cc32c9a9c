// `faultline targets`: what can be run: each target with its workloads and broken variants,
// then every workload and fault the nemesis knows.
import type { CommandModule } from "yargs";
import { targets } from "../../targets/index.ts";
import { workloads } from "../workloads/index.ts";
import { FAULTS } from "../../nemesis/faults/index.ts";

export const targetsCommand: CommandModule = {
  command: "targets",
  describe: "List the targets (with their workloads and broken variants), workloads and faults",
  builder: (y) =>
    y.example("$0 targets", "What `faultline run --target/--variant/--workload/--nemesis` accept"),
  handler: () => {
    for (const line of targetLines()) console.log(line);
  },
};

export function targetLines(): string[] {
  const lines = ["Targets:"];
  for (const t of Object.values(targets)) {
    lines.push(
      `  ${t.name}: ${t.description} (default ${t.defaultNodes} nodes; workloads: ${t.workloads.join(", ")})`,
    );
    if (t.noClockFaults)
      lines.push(`    no clock faults (--nemesis clock is refused): ${t.noClockFaults}`);
    if (!t.messageRules)
      lines.push(
        `    no message faults (delay, duplicate, reorder, byzantine): not under the node host`,
      );
    if (t.byzantine) {
      const n = t.defaultNodes;
      const spec = t.byzantine;
      const how = [
        spec.authenticated ? "authenticated messages" : "",
        spec.valueFields ? `values in ${spec.valueFields.join(", ")}` : "",
      ].filter(Boolean);
      lines.push(
        `    byzantine: tolerates ${spec.tolerance(n)} traitor(s) of ${n} nodes (the default of --byzantine)${how.length ? `; ${how.join("; ")}` : ""}`,
      );
    }
    const variants = Object.entries(t.variants);
    if (variants.length === 0) continue;
    lines.push(`    variants (--variant):`);
    for (const [name, what] of variants) lines.push(`      ${name}: ${what}`);
  }
  lines.push("", "Workloads (--workload):");
  for (const [name, w] of Object.entries(workloads))
    lines.push(`  ${name}: ${w.description} (operations: ${w.operations.join(", ")})`);
  lines.push("", "Faults (--nemesis, comma-separated):");
  for (const [name, f] of Object.entries(FAULTS)) lines.push(`  ${name}: ${f.description}`);
  return lines;
}
