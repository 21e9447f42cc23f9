import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Endpoint } from "@minicloud/shared/client";
import { defaultSocket } from "@minicloud/shared/paths";

export interface StoredCredentials {
  host: string;
  apiKey?: string | undefined;
  fingerprint?: string | undefined;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config");
  return path.join(base, "minicloud", "config.json");
}

export async function readStored(env: NodeJS.ProcessEnv = process.env): Promise<StoredCredentials | undefined> {
  try {
    return JSON.parse(await readFile(configPath(env), "utf8")) as StoredCredentials;
  } catch {
    return undefined;
  }
}

/** Written 0600: the file holds an API key. */
export async function writeStored(credentials: StoredCredentials, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = configPath(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

export async function removeStored(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = configPath(env);
  try {
    await readFile(file);
  } catch {
    return false;
  }
  await rm(file, { force: true });
  return true;
}

export type CredentialSource = "env" | "config" | "local socket";

/** MC_HOST/MC_API_KEY, else the config file from `mc login`, else the local daemon's socket. */
export async function resolveEndpoint(env: NodeJS.ProcessEnv = process.env): Promise<Endpoint & { source: CredentialSource }> {
  if (env.MC_HOST) return { host: env.MC_HOST, apiKey: env.MC_API_KEY, fingerprint: env.MC_FINGERPRINT, source: "env" };
  const stored = await readStored(env);
  if (stored) return { ...stored, apiKey: env.MC_API_KEY ?? stored.apiKey, source: "config" };
  return { host: `unix://${defaultSocket(env)}`, apiKey: env.MC_API_KEY, source: "local socket" };
}
