/**
 * A connection's activity over time from its 10-minute statistics: API calls and errors, p95 latency, records
 * synced, and rate-limited responses. Each chart has a sentence summing it up and its numbers as a table.
 */
import { type ReactNode, useId, useMemo, useState } from 'react';
import { loadStatistics, type Target } from '../connection-api';
import { formatCount, formatDuration } from '../dashboard-format';
import {
  type CountKey,
  chartSummaries,
  column,
  type DenseStatistics,
  denseStatistics,
  statisticsTotals,
} from '../statistics-summary';
import { useLoad } from '../use-load';
import { Chart, type ChartSeries } from './chart';
import { Loading, ProblemMessage } from './feedback';
import { Instant } from './instant';
import { TableScroll } from './table-scroll';

const PERIODS = [
  { hours: 6, words: 'the last 6 hours', option: 'Last 6 hours' },
  { hours: 24, words: 'the last 24 hours', option: 'Last 24 hours' },
  { hours: 24 * 7, words: 'the last 7 days', option: 'Last 7 days' },
] as const;

const BLUE = '#0b5cad';
const RED = '#a3261b';
const BROWN = '#7a4b00';
const GREEN = '#1a6b2f';

type Key = CountKey | 'p95_latency_ms';

interface Column {
  key: Key;
  label: string;
  color: string;
  dash?: number[];
  spanGaps?: boolean;
}

const API_COLUMNS: Column[] = [
  { key: 'api_calls', label: 'API calls', color: BLUE },
  { key: 'errors', label: 'Errors', color: RED, dash: [6, 4] },
  { key: 'retries', label: 'Retries', color: BROWN, dash: [2, 3] },
];
const LATENCY_COLUMNS: Column[] = [{ key: 'p95_latency_ms', label: 'p95 latency', color: BLUE, spanGaps: true }];
const RECORD_COLUMNS: Column[] = [
  { key: 'records_pulled', label: 'Pulled', color: GREEN },
  { key: 'records_pushed', label: 'Pushed', color: BLUE, dash: [6, 4] },
];
const RATE_LIMIT_COLUMNS: Column[] = [{ key: 'rate_limited', label: 'Rate-limited responses', color: BROWN }];

function latencyText(v: number): string {
  return formatDuration(v);
}

export function StatisticsCharts({ target }: { target: Target }) {
  const [hours, setHours] = useState<number>(24);
  const periodId = useId();
  const period = PERIODS.find((p) => p.hours === hours) ?? PERIODS[1];
  const stats = useLoad(() => {
    const to = new Date();
    return loadStatistics(target, new Date(to.getTime() - hours * 3_600_000), to);
  }, [target.platform, target.connectionId, hours]);

  const dense = useMemo(
    () =>
      stats.data
        ? denseStatistics(stats.data.buckets, stats.data.from, stats.data.to, stats.data.bucket_seconds)
        : undefined,
    [stats.data],
  );
  const summaries = useMemo(
    () => (dense ? chartSummaries(statisticsTotals(dense), period.words) : undefined),
    [dense, period.words],
  );

  return (
    <>
      <div className="filter-row">
        <label htmlFor={periodId}>Period</label>
        <select id={periodId} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
          {PERIODS.map((p) => (
            <option key={p.hours} value={p.hours}>
              {p.option}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={stats.reload}>
          Refresh charts
        </button>
      </div>
      {stats.loading && !stats.data ? <Loading what="statistics" /> : null}
      <ProblemMessage error={stats.error} action="Loading statistics" />
      {dense && summaries ? (
        <div
          style={{
            display: 'grid',
            gap: '1rem',
            gridTemplateColumns: 'repeat(auto-fit, minmax(min(100%, 30rem), 1fr))',
          }}
        >
          <StatisticsFigure
            title="API calls and errors"
            summary={summaries.apiCalls}
            dense={dense}
            columns={API_COLUMNS}
          />
          <StatisticsFigure
            title="p95 latency"
            summary={summaries.latency}
            dense={dense}
            columns={LATENCY_COLUMNS}
            formatValue={latencyText}
          />
          <StatisticsFigure title="Records synced" summary={summaries.records} dense={dense} columns={RECORD_COLUMNS} />
          <StatisticsFigure
            title="Rate-limited responses"
            summary={summaries.rateLimited}
            dense={dense}
            columns={RATE_LIMIT_COLUMNS}
          />
        </div>
      ) : null}
    </>
  );
}

function StatisticsFigure({
  title,
  summary,
  dense,
  columns,
  formatValue,
}: {
  title: string;
  summary: string;
  dense: DenseStatistics;
  columns: Column[];
  formatValue?: (v: number) => string;
}) {
  const series = useMemo<ChartSeries[]>(
    () =>
      columns.map((c) => ({
        label: c.label,
        color: c.color,
        values: column(dense, c.key),
        ...(c.dash ? { dash: c.dash } : {}),
        ...(c.spanGaps ? { spanGaps: true } : {}),
      })),
    [dense, columns],
  );
  const format = formatValue ?? formatCount;
  const rows = dense.buckets.filter((_b, i) => dense.present[i]);
  const cell = (key: Key, bucket: (typeof rows)[number]): ReactNode => {
    const v = bucket[key];
    return v === null ? '—' : format(v);
  };
  return (
    <figure style={{ margin: 0, minWidth: 0 }}>
      <figcaption>
        <h3 style={{ margin: '0 0 0.25rem' }}>{title}</h3>
      </figcaption>
      <p style={{ marginTop: 0 }}>{summary}</p>
      <Chart x={dense.x} series={series} label={`${title}: ${summary}`} formatValue={formatValue} />
      <details>
        <summary>{title} as a table</summary>
        {rows.length === 0 ? (
          <p>No activity in this period.</p>
        ) : (
          <TableScroll label={`${title} table`}>
            <table>
              <caption className="muted" style={{ textAlign: 'left' }}>
                {title} per 10 minutes (intervals with no activity are left out)
              </caption>
              <thead>
                <tr>
                  <th scope="col">10 minutes from</th>
                  {columns.map((c) => (
                    <th key={c.key} scope="col">
                      {c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((b) => (
                  <tr key={b.bucket_start}>
                    <th scope="row">
                      <Instant at={b.bucket_start} />
                    </th>
                    {columns.map((c) => (
                      <td key={c.key}>{cell(c.key, b)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </details>
    </figure>
  );
}
