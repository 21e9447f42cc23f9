import type { App } from "@minicloud/shared";
import { chalk, colourState, formatMemory, since, table } from "./output.ts";

export function renderInstances(app: App): string {
  return table(
    ["INSTANCE", "STATE", "HEALTH", "RESTARTS", "UPTIME", "CPU", "MEMORY", "URL"],
    app.instances.map((i) => [
      i.id,
      colourState(i.state),
      colourState(i.health),
      i.restarts,
      since(i.startedAt),
      i.cpuPercent === null ? "-" : `${i.cpuPercent.toFixed(1)}%`,
      i.memoryBytes === null ? "-" : `${formatMemory(i.memoryBytes)}/${formatMemory(app.memory)}`,
      i.url,
    ]),
  );
}

export function renderApp(app: App): string {
  const running = app.instances.filter((i) => i.state === "running").length;
  return [
    `${chalk.bold(app.name)} (tenant ${app.tenant}) ${colourState(app.desired)} — ${running}/${app.count} instances running, release ${app.release}${app.operation ? ` (${app.operation} in progress)` : ""}`,
    `  image ${app.image}  port ${app.port ?? "-"}  memory ${formatMemory(app.memory)}  cpus ${app.cpus}`,
    `  url   ${app.url ?? "-"}${app.httpsUrl ? `  ${app.httpsUrl}` : ""}`,
    "",
    renderInstances(app),
  ].join("\n");
}
