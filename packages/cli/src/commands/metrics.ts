import { type AppMetrics, type MetricsPoint, metricsSinceSchema } from "@minicloud/shared";
import { Args, Flags } from "@oclif/core";
import { validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { chalk, formatMemory, table } from "../lib/output.ts";
import { sparkline } from "../lib/sparkline.ts";
import { UsageError } from "../lib/usage-error.ts";

interface Chart {
  label: string;
  pick: (p: MetricsPoint) => number | null;
  format: (value: number) => string;
}

const rate = (bytes: number) => `${formatMemory(Math.round(bytes))}/s`;
const CHARTS: Chart[] = [
  { label: "cpu", pick: (p) => p.cpuPercent, format: (v) => `${v.toFixed(1)}%` },
  { label: "memory", pick: (p) => p.memoryBytes, format: (v) => formatMemory(Math.round(v)) },
  { label: "net in", pick: (p) => p.networkRxBytesPerSecond, format: rate },
  { label: "net out", pick: (p) => p.networkTxBytesPerSecond, format: rate },
  { label: "pids", pick: (p) => p.pids, format: (v) => String(Math.round(v)) },
  { label: "restarts", pick: (p) => p.restarts, format: (v) => String(Math.round(v)) },
  { label: "requests", pick: (p) => p.requestsPerSecond, format: (v) => `${v.toFixed(1)}/s` },
  { label: "5xx", pick: (p) => p.responses5xxPerSecond, format: (v) => `${v.toFixed(1)}/s` },
  { label: "latency", pick: (p) => p.latencyMs, format: (v) => `${v.toFixed(0)}ms` },
  { label: "volumes", pick: (p) => p.volumeBytes, format: (v) => formatMemory(Math.round(v)) },
];
const WIDTH = 48;

export default class Metrics extends BaseCommand {
  static override summary = "Chart an app's CPU, memory, network, pids, restarts and requests over time.";
  static override description =
    "Sparklines of the metrics history (every sample for the last hour, 1-minute averages for a day, 10-minute averages for 30 days) with each series' latest value and peak. Without APP, CPU and memory of every app in the tenant. With --json, the API's series.";
  static override examples = [
    "<%= config.bin %> metrics web",
    "<%= config.bin %> metrics web --since 6h",
    "<%= config.bin %> metrics --json",
  ];
  static override args = { app: Args.string({ description: "app name (every app when left out)" }) };
  static override flags = {
    since: Flags.string({ description: "how far back, from 1s to 30d, e.g. 15m, 6h, 7d", default: "1h" }),
  };

  async run(): Promise<AppMetrics | { apps: AppMetrics[] }> {
    const { args, flags } = await this.parse(Metrics);
    if (!metricsSinceSchema.safeParse(flags.since).success) {
      throw new UsageError(`--since takes a duration from 1s to 30d such as 15m, 6h or 7d, got "${flags.since}"`);
    }
    const name = args.app === undefined ? undefined : validAppName(args.app);
    const client = await this.client();
    if (name) {
      const metrics = await client.metrics.app(name, { since: flags.since });
      this.say(renderApp(metrics));
      return metrics;
    }
    const { apps } = await client.apps.list();
    const all = await Promise.all(apps.map((a) => client.metrics.app(a.name, { since: flags.since })));
    this.say(all.length === 0 ? "no apps yet" : renderAll(all));
    return { apps: all };
  }
}

function renderApp(metrics: AppMetrics): string {
  const header = `${chalk.bold(metrics.app)} — last ${metrics.since}, ${metrics.points.length} points (${resolutionText(metrics)})`;
  if (metrics.points.length === 0) return `${header}\nno sample yet`;
  const rows = CHARTS.flatMap((chart) => {
    const values = metrics.points.map(chart.pick);
    const present = values.filter((v): v is number => v !== null);
    if (present.length === 0) return [];
    const latest = values.findLast((v): v is number => v !== null) ?? 0;
    return [[chart.label, sparkline(values, WIDTH), chart.format(latest), chart.format(Math.max(...present))]];
  });
  return `${header}\n${table(["SERIES", "CHART", "NOW", "PEAK"], rows)}`;
}

function renderAll(all: AppMetrics[]): string {
  const rows = all.map((metrics) => {
    const cpu = metrics.points.map((p) => p.cpuPercent);
    const memory = metrics.points.map((p) => p.memoryBytes);
    const latest = metrics.points.at(-1);
    return [
      metrics.app,
      sparkline(cpu, 24),
      latest?.cpuPercent == null ? "-" : `${latest.cpuPercent.toFixed(1)}%`,
      sparkline(memory, 24),
      formatMemory(latest?.memoryBytes ?? null),
    ];
  });
  return table(["APP", "CPU", "NOW", "MEMORY", "NOW"], rows);
}

function resolutionText(metrics: AppMetrics): string {
  return metrics.resolution === "raw" ? `every ${metrics.stepSeconds}s` : `${metrics.resolution} averages`;
}
