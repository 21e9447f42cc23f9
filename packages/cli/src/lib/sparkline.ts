const BARS = "▁▂▃▄▅▆▇█";

/**
 * A one-line chart of `values`, at most `width` cells (later values averaged into a cell when there
 * are more); a gap (no sample) is a space. The scale runs from 0 to the largest value.
 */
export function sparkline(values: (number | null)[], width = 60): string {
  const cells = squeeze(values, width);
  const max = Math.max(0, ...cells.filter((v): v is number => v !== null));
  return cells
    .map((value) => {
      if (value === null) return " ";
      if (max === 0) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.floor((value / max) * (BARS.length - 1) + 0.5))];
    })
    .join("");
}

function squeeze(values: (number | null)[], width: number): (number | null)[] {
  if (values.length <= width) return values;
  const out: (number | null)[] = [];
  for (let cell = 0; cell < width; cell++) {
    const slice = values.slice(Math.floor((cell * values.length) / width), Math.floor(((cell + 1) * values.length) / width));
    const present = slice.filter((v): v is number => v !== null);
    out.push(present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length);
  }
  return out;
}
