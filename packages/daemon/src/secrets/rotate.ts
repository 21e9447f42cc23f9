import { readFile, rename } from "node:fs/promises";
import path from "node:path";
import type { DaemonConfig } from "../config.ts";
import { Store } from "../store/store.ts";
import { isAlive } from "../supervisor/process-identity.ts";
import { keyId, newKey } from "./crypto.ts";
import { loadMasterKey, MasterKeyError, nextKeyFile, writeKeyFile } from "./master-key.ts";
import { rewrapTenantKeys } from "./sealed-store.ts";

/**
 * `mcd rotate-master-key`, with the daemon stopped: a new master key re-wraps every tenant's data
 * key; sealed values are not touched. Crash-safe: the new key is written beside the old one first,
 * state then names it, and only then does it replace the old file (a daemon finishes or undoes a
 * rotation cut short at start, see loadMasterKey).
 */
export async function rotateMasterKey(config: DaemonConfig): Promise<{ tenants: number; from: string; to: string; file: string }> {
  const pid = Number((await readFile(path.join(config.dataDir, "mcd.pid"), "utf8").catch(() => "")).trim());
  if (pid > 0 && pid !== process.pid && (await isAlive(pid))) {
    throw new MasterKeyError(`mcd is running (pid ${pid}) on ${config.dataDir}: stop it first (mc daemon stop), rotate, start it again`);
  }
  const store = await Store.open(config.dataDir);
  const ring = await loadMasterKey(config.masterKeyFile, store.state.tenantKeys);
  const next = newKey();
  const nextId = keyId(next);
  await writeKeyFile(nextKeyFile(config.masterKeyFile), next);
  await store.update((state) => rewrapTenantKeys(state.tenantKeys, ring, next, nextId));
  await rename(nextKeyFile(config.masterKeyFile), config.masterKeyFile);
  const tenants = store.state.tenantKeys.length;
  await store.close();
  return { tenants, from: ring.currentId, to: nextId, file: config.masterKeyFile };
}
