import type { App, SpecChange } from "@minicloud/shared";
import { chalk, colourState, formatMemory, since, table } from "./output.ts";

export function renderInstances(app: App): string {
  return table(
    ["INSTANCE", "STATE", "HEALTH", "RESTARTS", "UPTIME", "CPU", "MEMORY", "URL", "LAST EXIT"],
    app.instances.map((i) => [
      i.id,
      colourState(i.state),
      colourState(i.health),
      i.restarts,
      since(i.startedAt),
      // Figures come from the sampler's latest sample, never a blocking engine call.
      i.cpuPercent === null ? (i.state === "running" ? "no sample yet" : "-") : `${i.cpuPercent.toFixed(1)}%`,
      i.memoryBytes === null ? "-" : `${formatMemory(i.memoryBytes)}/${formatMemory(app.memory)}`,
      i.url,
      i.lastExit ? `${i.lastExit.outOfMemory ? chalk.red(i.lastExit.reason) : i.lastExit.reason}, ${since(i.lastExit.at)} ago` : "",
    ]),
  );
}

export function renderApp(app: App): string {
  const running = app.instances.filter((i) => i.state === "running").length;
  return [
    `${chalk.bold(app.name)} (tenant ${app.tenant}) ${colourState(app.desired)} — ${running}/${app.count} instances running, release ${app.release}${app.operation ? ` (${app.operation} in progress)` : ""}`,
    `  image ${app.image}  port ${app.port ?? "-"}${app.protocol === "tcp" ? "/tcp" : ""}  memory ${formatMemory(app.memory)}  cpus ${app.cpus}`,
    ...(app.command ? [`  command ${app.command.join(" ")}`] : []),
    `  url   ${app.url ?? (app.protocol === "tcp" ? "- (tcp: no ingress route)" : "-")}${app.httpsUrl ? `  ${app.httpsUrl}` : ""}`,
    ...(app.internalAddress ? [`  internal ${app.internalAddress}`] : []),
    ...(app.volumes.length ? [`  volumes  ${app.volumes.map((v) => `${v.name} at ${v.path}`).join(", ")}`] : []),
    // Names only (values are never sent); none from a daemon older than secrets.
    ...((app.secretKeys ?? []).length ? [`  secrets  ${app.secretKeys.join(", ")}`] : []),
    // Custom domains: the same app at the user's own names (none from a daemon older than them).
    ...(app.domains ?? []).map((d) => `  domain ${d.url}  ${d.httpsUrl}${d.certificate === "acme" ? "  (ACME certificate)" : ""}`),
    "",
    renderInstances(app),
  ].join("\n");
}

/** One change in words: "count 2 → 3", "env.API_KEY changed" (env values are never sent). */
export function describeChange(change: SpecChange, colour = true): string {
  const paint = (fn: (text: string) => string, text: string) => (colour ? fn(text) : text);
  if (change.field.startsWith("env.") || change.field.startsWith("secret.")) {
    const what = change.from === null ? "added" : change.to === null ? "removed" : "changed";
    return `${change.field} ${paint(change.to === null ? chalk.red : chalk.green, what)}`;
  }
  if (change.from === null) return `${change.field} ${paint(chalk.green, change.to ?? "")}`;
  if (change.to === null) return `${change.field} ${paint(chalk.red, `${change.from} → removed`)}`;
  return `${change.field} ${paint(chalk.dim, change.from)} → ${paint(chalk.green, change.to)}`;
}

/** What a deploy changed, one line each; empty when nothing did. */
export function renderChanges(changes: SpecChange[]): string {
  return changes.map((change) => `  ${describeChange(change)}`).join("\n");
}

/** "✔ web started: 2/2 instances running, 2 healthy", from what the daemon observed after the change. */
export function confirmationLine(app: App, done: string): string {
  const running = app.instances.filter((i) => i.state === "running").length;
  const healthy = app.instances.filter((i) => i.health === "healthy").length;
  const ok = app.desired === "stopped" ? running === 0 : running === app.count && healthy === running;
  const health = app.desired === "stopped" ? "" : `, ${healthy} healthy`;
  return `${ok ? chalk.green("✔") : chalk.yellow("!")} ${app.name} ${done}: ${running}/${app.count} instance(s) running${health}`;
}
