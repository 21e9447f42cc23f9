import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TenantKeyRecord } from "../store/schema.ts";
import { KEY_BYTES, keyId, newKey } from "./crypto.ts";

export const MASTER_KEY_FILE_NAME = "master.key";

/** The master key could not be loaded: the daemon cannot start (a new key would orphan every secret). */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterKeyError";
  }
}

/** The master key in use, and during a rotation the one replacing it (a rotation cut short is finished or undone at start). */
export interface MasterKeyRing {
  file: string;
  current: Buffer;
  currentId: string;
  byId(id: string): Buffer | undefined;
}

/** Where a rotation writes the next key before state refers to it. */
export const nextKeyFile = (file: string): string => `${file}.next`;

/**
 * Loads the master key file, creating it (0600) at first start. A missing file while state holds
 * tenant keys is refused: a fresh key would leave every sealed value unopenable.
 */
export async function loadMasterKey(file: string, tenantKeys: readonly TenantKeyRecord[]): Promise<MasterKeyRing> {
  const next = await readKeyFile(nextKeyFile(file));
  if (next) {
    // A rotation wrote the next key, then (maybe) state: state decides which one is the key now.
    if (tenantKeys.some((k) => k.master === keyId(next))) await rename(nextKeyFile(file), file);
    else await rm(nextKeyFile(file), { force: true });
  }
  let key = await readKeyFile(file);
  if (!key) {
    if (tenantKeys.length > 0) {
      throw new MasterKeyError(
        `master key file ${file} is missing, but state.json holds tenant keys wrapped by master key ${tenantKeys[0]?.master}: restore the file (or point MC_MASTER_KEY_FILE at it); a new key could not open any secret`,
      );
    }
    key = newKey();
    await writeKeyFile(file, key);
  }
  const current = key;
  const currentId = keyId(current);
  return { file, current, currentId, byId: (id) => (id === currentId ? current : undefined) };
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new MasterKeyError(`master key file ${file}: ${(error as Error).message}`);
  }
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== KEY_BYTES || key.toString("base64") !== text.trim()) {
    throw new MasterKeyError(`master key file ${file} must hold ${KEY_BYTES} random bytes in base64 (as mcd writes it)`);
  }
  const mode = (await stat(file)).mode & 0o077;
  if (mode !== 0) throw new MasterKeyError(`master key file ${file} is readable by others: chmod 600 ${file}`);
  return key;
}

/** Written whole (temp file, fsync'd by writeFile's flush, rename) with mode 0600. */
export async function writeKeyFile(file: string, key: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, `${key.toString("base64")}\n`, { mode: 0o600, flush: true });
  await rename(temp, file);
}
