import { createInterface } from "node:readline";
import type { PulledImage, PullLine, PullPolicy } from "@minicloud/shared";
import type { MinicloudClient } from "@minicloud/shared/client";
import { ApiError } from "@minicloud/shared/errors";
import { checkImageReference } from "@minicloud/shared/image-rules";
import { canAnimate } from "./interaction.ts";
import { UsageError } from "./usage-error.ts";

/**
 * Pulls an image through the daemon (with the tenant's registry credentials) before a deploy.
 * Progress goes to stderr: NDJSON lines as the daemon sends them with --json, a one-line bar on a
 * terminal, nothing otherwise. Ctrl-C ends mc (bin/exits.js), which closes the request: the daemon
 * cancels the pull and keeps nothing.
 */
export async function pullImage(client: MinicloudClient, image: string, policy: PullPolicy, json: boolean): Promise<PulledImage> {
  const output = await client.images.pull(image, policy);
  const bar = !json && canAnimate() ? new ProgressBar(image) : undefined;
  try {
    for await (const text of createInterface({ input: output, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (!text) continue;
      if (json) process.stderr.write(`${text}\n`);
      const line = JSON.parse(text) as PullLine;
      if (line.type === "progress") bar?.update(line);
      else if (line.type === "error") throw new ApiError(line.error.code as ApiError["code"], line.error.message);
      else return line.image;
    }
  } finally {
    bar?.end();
  }
  throw new ApiError("internal", `the pull of ${image} ended without an answer — see the daemon log`);
}

/** Layers and bytes so far of what the registry announced, redrawn in place on stderr. */
class ProgressBar {
  private readonly image: string;
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();
  private drawn = false;

  constructor(image: string) {
    this.image = image;
  }

  update(line: Extract<PullLine, { type: "progress" }>): void {
    const layer = this.layers.get(line.layer) ?? { current: 0, total: 0, done: false };
    if (line.status === "Downloading" && line.total) Object.assign(layer, { current: line.current ?? 0, total: line.total });
    if (/complete|already exists/i.test(line.status)) Object.assign(layer, { done: true, current: layer.total });
    this.layers.set(line.layer, layer);
    const all = [...this.layers.values()];
    const current = all.reduce((sum, l) => sum + l.current, 0);
    const total = all.reduce((sum, l) => sum + l.total, 0);
    const width = 24;
    const filled = total > 0 ? Math.round((current / total) * width) : 0;
    const text = `Pulling ${this.image} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${humanBytes(current)}/${humanBytes(total)} · ${all.filter((l) => l.done).length}/${all.length} layers`;
    process.stderr.write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) process.stderr.write("\r\x1b[2K");
  }
}

/** 1.2 MB: the CLI does not load zod (and the shared units with it) for a bar. */
export function humanBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** An image argument, checked before any request (exit 2). */
export function imageArg(image: string): string {
  const problem = checkImageReference(image);
  if (problem) throw new UsageError(`${image}: ${problem}`);
  return image;
}
