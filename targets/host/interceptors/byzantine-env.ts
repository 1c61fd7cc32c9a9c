// The target's ByzantineSpec as its hosts need it (value fields, authenticated), passed in the
// node's environment as FAULTLINE_BYZANTINE (JSON) by the run (harness/run/execute.ts).
export const BYZANTINE_ENV = "FAULTLINE_BYZANTINE";

export interface HostByzantine {
  valueFields?: string[];
  authenticated: boolean;
}

export function byzantineEnv(spec: {
  valueFields?: string[];
  authenticated?: boolean;
}): Record<string, string> {
  const value: HostByzantine = {
    ...(spec.valueFields ? { valueFields: spec.valueFields } : {}),
    authenticated: spec.authenticated === true,
  };
  return { [BYZANTINE_ENV]: JSON.stringify(value) };
}

/** What the environment says; a missing or unreadable value means the defaults. */
export function byzantineFromEnv(env: NodeJS.ProcessEnv): HostByzantine {
  try {
    const raw = JSON.parse(env[BYZANTINE_ENV] ?? "{}") as Partial<HostByzantine>;
    const fields = Array.isArray(raw.valueFields)
      ? raw.valueFields.filter((f): f is string => typeof f === "string")
      : undefined;
    return {
      ...(fields ? { valueFields: fields } : {}),
      authenticated: raw.authenticated === true,
    };
  } catch {
    return { authenticated: false };
  }
}
