// faultline doctor: checks what a run needs, one line each: OK, or what is wrong and the fix.
// Exit 5 (environment not ready) when any check fails.
import chalk from "chalk";
import type { CommandModule } from "yargs";
import { EXIT } from "../../core/errors.ts";
import type { Cluster } from "../runtime/index.ts";
import {
  CLOCK_REFRESH_SECONDS,
  createCluster,
  dockerAvailable,
  engineAddress,
  imageExists,
  nodeImageTag,
} from "../runtime/index.ts";
import { docker } from "../runtime/docker.ts";

type Outcome = { ok: true; detail: string } | { ok: false; detail: string; warnOnly?: boolean };

function report(name: string, o: Outcome): void {
  const tag = o.ok ? chalk.green("OK  ") : o.warnOnly ? chalk.yellow("WARN") : chalk.red("FAIL");
  console.log(`${tag}  ${name.padEnd(10)} ${o.detail}`);
}

async function attempt(fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (err) {
    return { ok: false, detail: (err as Error).message.split("\n")[0] };
  }
}

/** Checks that need a live two-node cluster: rules, freezer, clock. (No netem check: message
 *  delay, duplication and reordering come from the node hosts' interceptors, not the kernel.) */
async function clusterChecks(c: Cluster): Promise<[string, Outcome][]> {
  const iptables = await attempt(async () => {
    await c.partition({ n1: ["n2"] });
    await c.loss("n2", 0.5); // needs the iptables statistic match
    const rules = await c.exec("n1", ["iptables", "-S", "FAULTLINE-IN"], { infra: true });
    await c.healNetwork();
    if (!rules.stdout.includes(c.node("n2").ip)) throw new Error("the rule did not show up");
    return { ok: true, detail: "rules apply and heal in a node's namespace" };
  });
  const freezer = await attempt(async () => {
    await c.pause("n1");
    await c.resume("n1");
    return { ok: true, detail: "pause and resume work" };
  });
  const clock = await attempt(async () => {
    await c.setClockOffset("n1", 3600);
    await new Promise((r) => setTimeout(r, CLOCK_REFRESH_SECONDS * 1000 + 200));
    const r = await c.exec("n1", ["date", "+%s"]);
    const skew = Number(r.stdout.trim()) - Date.now() / 1000;
    if (Math.abs(skew - 3600) > 5) {
      return {
        ok: false,
        detail: `a +3600 s offset showed as ${skew.toFixed(0)} s; rebuild the image (faultline image build)`,
      };
    }
    return { ok: true, detail: "libfaketime offsets a node's clock" };
  });
  return [
    ["iptables", iptables],
    ["freezer", freezer],
    ["clock", clock],
  ];
}

export const doctorCommand: CommandModule = {
  command: "doctor",
  describe: "Check the Docker engine, node image, iptables, freezer and libfaketime",
  handler: async () => {
    let failed = false;
    const show = (name: string, o: Outcome) => {
      report(name, o);
      if (!o.ok && !o.warnOnly) failed = true;
    };

    if (!(await dockerAvailable())) {
      show("engine", {
        ok: false,
        detail: `no Docker engine answers at ${engineAddress()}; run \`make setup\` (as root on Debian) or set DOCKER_HOST`,
      });
      process.exitCode = EXIT.environment;
      return;
    }
    const version = await docker().version();
    show("engine", { ok: true, detail: `Docker ${version.Version} at ${engineAddress()}` });

    const tag = nodeImageTag();
    if (!(await imageExists(tag))) {
      show("image", { ok: false, detail: `${tag} is missing; run \`make setup\` to build it` });
      process.exitCode = EXIT.environment;
      return;
    }
    show("image", { ok: true, detail: tag });

    let cluster: Cluster | undefined;
    try {
      cluster = await createCluster({ nodes: 2, id: `doctor-${process.pid}` });
      for (const [name, o] of await clusterChecks(cluster)) show(name, o);
    } catch (err) {
      show("cluster", {
        ok: false,
        detail: `cannot start a 2-node cluster: ${(err as Error).message}`,
      });
    } finally {
      await cluster?.teardown();
    }
    if (failed) process.exitCode = EXIT.environment;
  },
};
