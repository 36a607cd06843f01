import { useRef } from 'react';
import { useElementWidth } from '../lib/use-element-width.ts';

export interface MinutePoint {
  /** The minute's start, epoch ms. */
  minute: number;
  completed: number;
  failed: number;
}

export interface MinuteChartProps {
  points: MinutePoint[];
  /** The last minute shown (its start, epoch ms); the chart spans `minutes` back from it. */
  end: number;
  minutes?: number;
  title: string;
}

const HEIGHT = 180;
const PAD = { top: 12, right: 8, bottom: 22, left: 32 };

/** Rounds the axis maximum up to 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Tasks completed and failed per minute, as paired bars in plain SVG. It is drawn at its
 * container's real width (text stays legible from 360 px up) and carries its totals as text for
 * screen readers.
 */
export function MinuteChart({ points, end, minutes = 60, title }: MinuteChartProps) {
  const box = useRef<HTMLElement>(null);
  const WIDTH = Math.max(240, useElementWidth(box));
  const byMinute = new Map(points.map((point) => [point.minute, point]));
  const slots: MinutePoint[] = [];
  for (let i = minutes - 1; i >= 0; i--) {
    const minute = end - i * 60_000;
    slots.push(byMinute.get(minute) ?? { minute, completed: 0, failed: 0 });
  }
  const completed = slots.reduce((sum, slot) => sum + slot.completed, 0);
  const failed = slots.reduce((sum, slot) => sum + slot.failed, 0);
  const max = niceMax(Math.max(1, ...slots.map((slot) => Math.max(slot.completed, slot.failed))));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slotWidth = plotWidth / minutes;
  const barWidth = Math.max(1, slotWidth / 2 - 0.5);
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;
  const summary = `${title}: ${completed} completed and ${failed} failed in the last ${minutes} minutes.`;
  return (
    <figure className="chart" ref={box}>
      <svg width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
        <g className="chart__grid">
          {(max % 2 === 0 ? [0, 0.5, 1] : [0, 1]).map((share) => (
            <g key={share}>
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(max * share)} y2={y(max * share)} />
              <text x={PAD.left - 4} y={y(max * share) + 4} textAnchor="end">
                {Math.round(max * share)}
              </text>
            </g>
          ))}
        </g>
        {slots.map((slot, index) => {
          const x = PAD.left + index * slotWidth;
          return (
            <g key={slot.minute} data-minute={slot.minute}>
              {slot.completed > 0 ? (
                <rect
                  className="chart__bar chart__bar--completed"
                  x={x}
                  y={y(slot.completed)}
                  width={barWidth}
                  height={y(0) - y(slot.completed)}
                />
              ) : null}
              {slot.failed > 0 ? (
                <rect
                  className="chart__bar chart__bar--failed"
                  x={x + barWidth + 0.5}
                  y={y(slot.failed)}
                  width={barWidth}
                  height={y(0) - y(slot.failed)}
                />
              ) : null}
            </g>
          );
        })}
        <g className="chart__axis">
          <text x={PAD.left} y={HEIGHT - 6}>
            −{minutes} min
          </text>
          <text x={PAD.left + plotWidth / 2} y={HEIGHT - 6} textAnchor="middle">
            −{minutes / 2} min
          </text>
          <text x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end">
            now
          </text>
        </g>
      </svg>
      <figcaption className="chart__legend">
        <span className="legend legend--completed">
          Completed <strong className="num">{completed}</strong>
        </span>
        <span className="legend legend--failed">
          Failed <strong className="num">{failed}</strong>
        </span>
      </figcaption>
    </figure>
  );
}
