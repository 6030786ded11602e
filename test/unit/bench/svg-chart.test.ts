import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeXml, lineChartSvg, linearTicks, logTicks, type Chart } from "../../../bench/report/svg.ts";

const chart: Chart = {
  title: "latency <&> load",
  xLabel: "ops/s",
  yLabel: "ms",
  panels: [
    { title: "p50", series: [{ name: "floor", points: [{ x: 100, y: 0.3 }, { x: 200, y: 0.5 }] }, { name: "mu\"tate", points: [{ x: 100, y: 1 }, { x: 200, y: 40, hollow: true }] }] },
    { title: "p99", series: [{ name: "floor", points: [{ x: 100, y: 2 }, { x: 200, y: Number.NaN }] }] },
  ],
};

describe("lineChartSvg", () => {
  const svg = lineChartSvg(chart);

  it("draws one line per series per panel and a marker per finite point", () => {
    assert.equal(svg.match(/<polyline /g)?.length, 3);
    assert.equal(svg.match(/<circle /g)?.length, 5);
    assert.equal(svg.match(/<circle [^>]*fill="#fff"/g)?.length, 1);
  });

  it("escapes text and keeps every coordinate inside the canvas", () => {
    assert.ok(svg.includes("latency &lt;&amp;&gt; load") && svg.includes("mu&quot;tate"));
    const [, w, h] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.map(Number);
    for (const [, x, y] of svg.matchAll(/cx="([\d.]+)" cy="([\d.]+)"/g)) {
      assert.ok(Number(x) >= 0 && Number(x) <= w! && Number(y) >= 0 && Number(y) <= h!, `${x},${y} outside ${w}x${h}`);
    }
    assert.ok(!svg.includes("NaN"));
    assert.match(svg, /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
  });

  it("higher latency is drawn higher up (log y axis)", () => {
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    // floor 0.3 ms, floor 0.5 ms, mutate 1 ms, mutate 40 ms: each above the one before.
    assert.ok(ys[0]! > ys[1]! && ys[1]! > ys[2]! && ys[2]! > ys[3]!);
  });

  it("refuses a chart with nothing to draw", () => {
    assert.throws(() => lineChartSvg({ ...chart, panels: [{ title: "x", series: [{ name: "a", points: [{ x: 1, y: Number.NaN }] }] }] }), /nothing to draw/);
  });
});

describe("axis ticks", () => {
  it("log ticks cover the range in decades (with 2 and 5 steps for narrow ranges)", () => {
    assert.deepEqual(logTicks(0.3, 4), [0.1, 0.2, 0.5, 1, 2, 5, 10]);
    assert.deepEqual(logTicks(0.3, 40), [0.1, 1, 10, 100]);
    assert.deepEqual(logTicks(0.05, 900), [0.01, 0.1, 1, 10, 100, 1000]);
  });

  it("linear ticks are round and reach the maximum", () => {
    assert.deepEqual(linearTicks(9000), [0, 2000, 4000, 6000, 8000, 10000]);
    assert.deepEqual(linearTicks(0), [0]);
  });

  it("escapeXml escapes the five XML specials", () => {
    assert.equal(escapeXml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  });
});
