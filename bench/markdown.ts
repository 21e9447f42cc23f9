/**
 * `node bench/markdown.ts [FILE]`: bench/results/latest.json (or FILE, such as the
 * only-storage.json of `BENCH_ONLY=storage`) as the Markdown table and deploy breakdown that
 * docs/performance.md shows, so the doc is pasted from a run instead of retyped.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "../test/harness/paths.ts";

interface Result {
  date: string;
  machine: { cpus: number; model?: string; memoryGiB: number; node: string };
  engine: string;
  rows: {
    name: string;
    unit: string;
    goal: string;
    subject: { median: number; p99: number };
    baseline?: { name: string; median: number };
    ratio?: number;
  }[];
  deployPhases?: { early: Record<string, number>; late: Record<string, number> };
}

const file = process.argv[2] ? path.resolve(process.argv[2]) : path.join(REPO_ROOT, "bench/results/latest.json");
const result = JSON.parse(await readFile(file, "utf8")) as Result;
const { machine } = result;
const lines = [
  `Run of ${result.date.slice(0, 10)} on ${machine.cpus} cores (${machine.model ?? "unknown CPU"}), ${machine.memoryGiB} GiB, Node ${machine.node}, Docker engine ${result.engine}.`,
  "",
  "| benchmark | median | p99 | baseline | baseline median | ratio | goal |",
  "|---|---|---|---|---|---|---|",
  ...result.rows
    .map((r) =>
      [
        r.name,
        `${r.subject.median} ${r.unit}`,
        `${r.subject.p99} ${r.unit}`,
        r.baseline?.name ?? "-",
        r.baseline ? `${r.baseline.median} ${r.unit}` : "-",
        r.ratio ?? "-",
        r.goal,
      ]
        // A pipe inside a cell (a shell pipeline in a baseline's name) would end the cell.
        .map((cell) => String(cell).replaceAll("|", "\\|"))
        .join(" | "),
    )
    .map((row) => `| ${row} |`),
];
if (result.deployPhases) {
  const { early, late } = result.deployPhases;
  lines.push("", "| deploy step (daemon side, median ms) | early | late |", "|---|---|---|");
  for (const phase of Object.keys(late)) lines.push(`| ${phase} | ${early[phase] ?? "-"} | ${late[phase]} |`);
}
console.log(lines.join("\n"));
