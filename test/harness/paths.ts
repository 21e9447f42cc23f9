import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const MC_BIN = path.join(REPO_ROOT, "packages/cli/bin/run.js");
export const MCD_BIN = path.join(REPO_ROOT, "packages/daemon/bin/mcd.js");
export const SAMPLE_IMAGE = "minicloud/hello:latest";
export const BASE_IMAGE = "minicloud/base:latest";
