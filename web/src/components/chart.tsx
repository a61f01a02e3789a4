/**
 * A time-series line chart (uPlot on a canvas), as wide as its container. A canvas says nothing to a screen reader:
 * the chart is an image named by `label` (the caller's text summary), and callers put the numbers in a table beside
 * it. Series differ by dash pattern and legend name as well as colour.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: ReadonlyArray<number | null>;
  /** A stroke with at least 3:1 contrast against white. */
  color: string;
  /** A dash pattern (`[6, 4]`), so series differ by more than colour. */
  dash?: number[];
  /** Draw across intervals with no value (a latency with no calls) instead of breaking the line. */
  spanGaps?: boolean;
}

export interface ChartProps {
  /** Bucket starts, Unix seconds. */
  x: readonly number[];
  series: readonly ChartSeries[];
  /** The chart's text alternative (its summary). */
  label: string;
  height?: number;
  /** Axis and legend values (`850 ms`); plain counts by default. */
  formatValue?: (value: number) => string;
}

const AXIS = { stroke: '#4d5560', grid: { stroke: '#e3e7eb', width: 1 }, ticks: { stroke: '#c9d0d8', width: 1 } };

export function Chart({ x, series, label, height = 200, formatValue }: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const format = formatValue ?? ((v: number) => v.toLocaleString('en-US'));
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      series: [
        {},
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.dash ? { dash: s.dash } : {}),
            ...(s.spanGaps ? { spanGaps: true } : {}),
            value: (_u, v) => (v === null || v === undefined ? '—' : format(v)),
          }),
        ),
      ],
      axes: [
        AXIS,
        {
          ...AXIS,
          size: 64,
          values: (_u, splits) => splits.map((v) => format(v)),
        },
      ],
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      cursor: { drag: { x: false, y: false } },
    };
    const data = [x as number[], ...series.map((s) => s.values as Array<number | null>)] as uPlot.AlignedData;
    const plot = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => {
      const width = Math.max(element.clientWidth, 200);
      if (width !== plot.width) plot.setSize({ width, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [x, series, height, formatValue]);

  return <div ref={holder} className="chart" role="img" aria-label={label} />;
}
