import { spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./paths.ts";

const SCRIPT = path.join(REPO_ROOT, "scripts/fixture-images");
/** A first build (debootstrap) takes about a minute; this is the limit for a slow mirror. */
const BUILD_TIMEOUT_MS = 10 * 60_000;
const ensured = new Map<string, Promise<string>>();

/**
 * The tag of fixture image `name` (test/fixtures/images/<name>), `minicloud-fixture/<name>:<hash>`.
 * scripts/fixture-images is asked every time: it alone computes the recipe's content hash, answers
 * in a fraction of a second when the engine has the image, and builds or re-imports it when not (a
 * machine where setup was not rerun after a recipe changed). Asked once per test process.
 */
export function fixtureImage(name: string): Promise<string> {
  let tag = ensured.get(name);
  if (!tag) {
    tag = ensureFixture(name);
    ensured.set(name, tag);
  }
  return tag;
}

function ensureFixture(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [SCRIPT, name], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      const tag = stdout.trim().split("\n").at(-1) ?? "";
      // The script's own message says what is missing (debootstrap, root, a recipe) and what to do.
      if (code !== 0 || !tag.startsWith(`minicloud-fixture/${name}:`))
        reject(new Error(`fixture image ${name}: scripts/fixture-images exited with ${code}\n${stderr.trim()}`));
      else resolve(tag);
    });
  });
}
