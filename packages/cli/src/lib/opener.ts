import { spawn } from "node:child_process";

/** A desktop session that can show a browser; elsewhere (ssh, CI, containers, no TTY) the URL is printed. */
export function opener(): string | undefined {
  if (!process.stdout.isTTY || process.env.CI) return undefined;
  if (process.platform === "darwin") return "open";
  if (process.platform === "win32") return "explorer";
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? "xdg-open" : undefined;
}

/** Opens the URL in the desktop's browser when there is one; says whether it did. */
export function openInBrowser(url: string): boolean {
  const command = opener();
  if (command)
    spawn(command, [url], { detached: true, stdio: "ignore" })
      .on("error", () => undefined)
      .unref();
  return command !== undefined;
}
