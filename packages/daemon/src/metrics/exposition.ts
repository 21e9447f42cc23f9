import type { AppTraffic, InstanceSample } from "./sampler.ts";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface Family {
  name: string;
  type: "counter" | "gauge";
  help: string;
  value: (s: InstanceSample) => number | null;
}

/** cAdvisor's names where one fits, so dashboards made for it work unchanged. */
const FAMILIES: Family[] = [
  {
    name: "container_cpu_usage_seconds_total",
    type: "counter",
    help: "CPU time the instance used, in seconds.",
    value: (s) => s.counters.cpuSeconds,
  },
  {
    name: "container_memory_working_set_bytes",
    type: "gauge",
    help: "Memory in use minus inactive file cache.",
    value: (s) => s.counters.memoryWorkingSetBytes,
  },
  {
    name: "container_spec_memory_limit_bytes",
    type: "gauge",
    help: "The instance's memory limit.",
    value: (s) => s.counters.memoryLimitBytes,
  },
  {
    name: "container_network_receive_bytes_total",
    type: "counter",
    help: "Bytes the instance received (loopback left out).",
    value: (s) => s.counters.networkRxBytes,
  },
  {
    name: "container_network_transmit_bytes_total",
    type: "counter",
    help: "Bytes the instance sent (loopback left out).",
    value: (s) => s.counters.networkTxBytes,
  },
  { name: "container_processes", type: "gauge", help: "Processes in the instance.", value: (s) => s.counters.pids },
  {
    name: "minicloud_instance_restarts_total",
    type: "counter",
    help: "Times the platform restarted the instance after it stopped on its own.",
    value: (s) => s.restarts,
  },
  {
    name: "minicloud_instance_last_sample_timestamp_seconds",
    type: "gauge",
    help: "When the instance was last sampled.",
    value: (s) => s.at / 1000,
  },
];

/**
 * The Prometheus text exposition of instances' latest samples: one series per instance, labelled
 * with its tenant, app and instance id.
 */
export function exposition(samples: InstanceSample[], traffic: AppTraffic[] = []): string {
  const sorted = [...samples].sort((a, b) => `${a.tenant}/${a.app}/${a.instance}`.localeCompare(`${b.tenant}/${b.app}/${b.instance}`));
  const lines: string[] = [];
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of sorted) {
      const value = family.value(sample);
      if (value === null) continue;
      lines.push(`${family.name}{${labels(sample)}} ${value}`);
    }
  }
  lines.push(...trafficLines(traffic));
  return `${lines.join("\n")}\n`;
}

/** Each app's ingress requests by status class, and their summed duration, since the daemon started. */
function trafficLines(traffic: AppTraffic[]): string[] {
  const sorted = [...traffic].sort((a, b) => `${a.tenant}/${a.app}`.localeCompare(`${b.tenant}/${b.app}`));
  const app = (t: AppTraffic) => `tenant="${escapeLabel(t.tenant)}",app="${escapeLabel(t.app)}"`;
  const lines = [
    "# HELP minicloud_http_requests_total Requests the ingress answered for the app, by status class.",
    "# TYPE minicloud_http_requests_total counter",
  ];
  for (const t of sorted) {
    for (const [i, count] of t.traffic.classes.entries()) lines.push(`minicloud_http_requests_total{${app(t)},code="${i + 1}xx"} ${count}`);
  }
  lines.push(
    "# HELP minicloud_http_request_duration_seconds Time the ingress took to answer the app's requests.",
    "# TYPE minicloud_http_request_duration_seconds summary",
  );
  for (const t of sorted) {
    lines.push(`minicloud_http_request_duration_seconds_sum{${app(t)}} ${t.traffic.durationSeconds}`);
    lines.push(`minicloud_http_request_duration_seconds_count{${app(t)}} ${t.traffic.requests}`);
  }
  return lines;
}

function labels(s: InstanceSample): string {
  return `tenant="${escapeLabel(s.tenant)}",app="${escapeLabel(s.app)}",instance_id="${escapeLabel(s.instance)}"`;
}

/** Label values escape backslash, quote and newline; names here are DNS labels, but the format is kept anyway. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
