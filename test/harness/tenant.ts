import type { DeployRequest } from "@minicloud/shared";
import { MinicloudClient } from "@minicloud/shared/client";
import type { TestDaemon } from "./daemon.ts";
import { json, mc } from "./mc.ts";

export interface TestTenant {
  name: string;
  key: string;
  /** `mc` environment that acts as this tenant over TCP. */
  env: NodeJS.ProcessEnv;
  client(): MinicloudClient;
}

/** Creates a tenant through the built `mc` as the admin, and returns its first key. */
export async function createTenant(daemon: TestDaemon, name: string, quotaArgs: string[] = []): Promise<TestTenant> {
  const result = await mc(["tenants", "create", name, ...quotaArgs, "--json"], daemon.env);
  if (result.code !== 0) throw new Error(`tenants create ${name} failed: ${result.stderr}`);
  const key = json<{ apiKey: { key: string } }>(result.stdout).apiKey.key;
  return {
    name,
    key,
    env: { ...daemon.env, MC_HOST: daemon.tcpUrl, MC_API_KEY: key },
    client: () => new MinicloudClient({ host: daemon.tcpUrl, apiKey: key }),
  };
}

/** Deploys through a typed client (for what `mc deploy` has no flag for, such as a command) and closes it. */
export async function deployVia(client: MinicloudClient, request: DeployRequest) {
  try {
    return await client.apps.deploy(request);
  } finally {
    await client.close();
  }
}
