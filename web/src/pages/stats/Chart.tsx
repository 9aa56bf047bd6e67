import { useId } from 'react';
import { formatHours } from '../../format';

export interface Series {
  label: string;
  className: string;
  values: (number | null | undefined)[];
}

interface Props {
  title: string;
  categories: string[];
  series: Series[];
  /** The id of the table holding the same numbers (screen readers read that). */
  tableId: string;
  /** How a value is written beside its bar (hours by default). */
  format?: (v: number) => string;
  /** The largest value of the scale (the largest value shown by default; 1 for shares). */
  max?: number;
}

/**
 * Grouped horizontal bars in plain SVG: a few numbers do not justify a chart library. The figure is
 * described by the table of the same figures; the bars carry their values as text, too.
 */
export function BarChart({ title, categories, series, tableId, format = formatHours, max: scale }: Props) {
  const titleId = useId();
  const max = scale ?? Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const barH = 18;
  const gap = 6;
  const groupH = series.length * (barH + gap) + 16;
  const labelW = 190;
  const width = 640;
  const plotW = width - labelW - 110;
  const height = categories.length * groupH + 30;
  return (
    <figure className="mb-4 chart-figure">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-labelledby={titleId} aria-describedby={tableId}>
        <title id={titleId}>{title}</title>
        {categories.map((c, ci) => {
          const y0 = ci * groupH + 10;
          return (
            <g key={c}>
              <text x={0} y={y0 + groupH / 2 - 4} className="chart-label">{c.length > 30 ? `${c.slice(0, 29)}…` : c}</text>
              {series.map((s, si) => {
                const v = s.values[ci];
                const w = v == null ? 0 : Math.max(2, (v / max) * plotW);
                const y = y0 + si * (barH + gap);
                return (
                  <g key={s.label}>
                    <rect x={labelW} y={y} width={w} height={barH} className={`chart-bar ${s.className}`} />
                    <text x={labelW + w + 6} y={y + barH - 4} className="chart-label">{v == null ? 'n.d.' : format(v)}</text>
                  </g>
                );
              })}
            </g>
          );
        })}
        <line x1={labelW} x2={labelW} y1={4} y2={height - 20} className="chart-axis" />
      </svg>
      <figcaption className="d-flex gap-4 flex-wrap small">
        {series.map((s) => (
          <span key={s.label} className="d-inline-flex align-items-center gap-1">
            <svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" className={`chart-bar ${s.className}`} /></svg>
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
