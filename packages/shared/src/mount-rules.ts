/** Mount paths for volumes, checked without zod so the CLI can refuse a bad one before any request. */

/** Where nothing may be mounted: the root, the kernel's file systems, and paths the platform owns. */
const FORBIDDEN_MOUNT_ROOTS = ["/proc", "/sys", "/dev", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"];

/** Why a mount path is refused, or undefined when it is fine (no zod: the CLI checks it before a request). */
export function checkMountPath(path: string): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path such as /data";
  if (path.length > 255) return "must be at most 255 characters";
  if (!/^[\x21-\x7e]+$/.test(path)) return "must be printable ASCII without spaces";
  const parts = path.split("/").slice(1);
  if (parts.some((part) => part === "" || part === "." || part === "..")) {
    return path === "/" ? "cannot be / (the root file system)" : "must be a plain path: no '.', '..', '//' or trailing '/'";
  }
  const root = FORBIDDEN_MOUNT_ROOTS.find((forbidden) => path === forbidden || path.startsWith(`${forbidden}/`));
  if (root) return `cannot be ${root} or below it: the platform and the kernel own it`;
  return undefined;
}
