// A small SVG line-chart writer (no browser, no dependency): side-by-side
// panels sharing a log-scale y axis, one coloured line per series, hollow
// markers for points flagged as unreliable (a saturated server).

export interface Point {
  readonly x: number;
  readonly y: number;
  readonly hollow?: boolean;
}

export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
}

export interface Panel {
  readonly title: string;
  readonly series: readonly Series[];
}

export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly panels: readonly Panel[];
  readonly note?: string;
}

const COLOURS = ["#1b6ca8", "#d1495b", "#00798c", "#edae49", "#66a182", "#8d6a9f", "#2e4057", "#c2847a"];
const PANEL_W = 300;
const PANEL_H = 240;
const MARGIN = { left: 64, right: 16, top: 56, bottom: 48 };
const GAP = 28;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** Decades (and 2, 5 steps inside them when there are few) covering [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const steps = high - low <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = low; e <= high; e++) for (const s of steps) ticks.push(Number((s * 10 ** e).toPrecision(3)));
  return ticks.filter((t) => t >= 10 ** low && t <= 10 ** high);
}

/** Round numbers for a linear axis from 0 to at least max. */
export function linearTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}

const fmt = (n: number) => (Math.abs(n) >= 1000 ? `${Number((n / 1000).toPrecision(3))}k` : String(Number(n.toPrecision(3))));

export function lineChartSvg(chart: Chart): string {
  const points = chart.panels.flatMap((p) => p.series.flatMap((s) => s.points)).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.y > 0);
  if (points.length === 0) throw new Error("nothing to draw: no finite positive points");
  const yTicks = logTicks(Math.min(...points.map((p) => p.y)), Math.max(...points.map((p) => p.y)));
  const yMin = Math.log10(yTicks[0]!);
  const yMax = Math.log10(yTicks[yTicks.length - 1]!);
  const xTicks = linearTicks(Math.max(...points.map((p) => p.x)));
  const xMax = xTicks[xTicks.length - 1]!;
  const names = [...new Set(chart.panels.flatMap((p) => p.series.map((s) => s.name)))];
  const colour = (name: string) => COLOURS[names.indexOf(name) % COLOURS.length]!;
  const legendRows = Math.ceil(names.length / 3);
  const width = MARGIN.left + chart.panels.length * PANEL_W + (chart.panels.length - 1) * GAP + MARGIN.right;
  const height = MARGIN.top + PANEL_H + MARGIN.bottom + legendRows * 18 + (chart.note ? 20 : 0) + 8;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  chart.panels.forEach((panel, index) => {
    const left = MARGIN.left + index * (PANEL_W + GAP);
    const top = MARGIN.top;
    const sx = (x: number) => left + (x / xMax) * PANEL_W;
    const sy = (y: number) => top + PANEL_H - ((Math.log10(y) - yMin) / (yMax - yMin || 1)) * PANEL_H;
    out.push(`<text x="${left + PANEL_W / 2}" y="${top - 8}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`);
    out.push(`<rect x="${left}" y="${top}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    for (const t of yTicks) {
      const y = sy(t).toFixed(1);
      out.push(`<line x1="${left}" x2="${left + PANEL_W}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      if (index === 0) out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
    }
    for (const t of xTicks) {
      const x = sx(t).toFixed(1);
      out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + PANEL_H}" stroke="#eee"/>`);
      out.push(`<text x="${x}" y="${top + PANEL_H + 14}" text-anchor="middle">${fmt(t)}</text>`);
    }
    out.push(`<text x="${left + PANEL_W / 2}" y="${top + PANEL_H + 32}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
    for (const series of panel.series) {
      const drawn = series.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.y > 0);
      const c = colour(series.name);
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${drawn.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}"><title>${escapeXml(series.name)}</title></polyline>`);
      for (const p of drawn) out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${p.hollow ? "#fff" : c}" stroke="${c}" stroke-width="1.5"/>`);
    }
  });
  out.push(`<text transform="translate(16 ${MARGIN.top + PANEL_H / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);
  const legendTop = MARGIN.top + PANEL_H + MARGIN.bottom;
  const column = (width - MARGIN.left) / 3;
  names.forEach((name, i) => {
    const x = MARGIN.left + (i % 3) * column;
    const y = legendTop + Math.floor(i / 3) * 18;
    out.push(`<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${colour(name)}" stroke-width="3"/>`);
    out.push(`<text x="${x + 24}" y="${y}" dominant-baseline="middle">${escapeXml(name)}</text>`);
  });
  if (chart.note) out.push(`<text x="${MARGIN.left}" y="${legendTop + legendRows * 18 + 10}" fill="#555">${escapeXml(chart.note)}</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
