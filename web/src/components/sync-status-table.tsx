/** Sync status per entity: state in words, progress while running, records stored, the last run, open conflicts. */
import type { EntitySyncStatus } from '../connection-api';
import { directionName, formatCount, frequencyName, plural, runDuration } from '../dashboard-format';
import { Instant } from './instant';
import { StatusText } from './status-text';
import { TableScroll } from './table-scroll';

const NOWRAP = { whiteSpace: 'nowrap' } as const;

export function SyncStatusTable({ entities }: { entities: EntitySyncStatus[] }) {
  return (
    <TableScroll label="Sync status table">
      <table>
        <caption className="muted" style={{ textAlign: 'left' }}>
          Sync status of each kind of data
        </caption>
        <thead>
          <tr>
            <th scope="col">Data</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Records stored</th>
            <th scope="col">Last run</th>
            <th scope="col">Open conflicts</th>
            <th scope="col">Direction and schedule</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {entities.map((e) => (
            <tr key={e.entity_type}>
              <th scope="row">{e.entity_type}</th>
              <td>
                <StatusText status={e.sync_status} />
              </td>
              <td style={NOWRAP}>
                {e.progress
                  ? `${plural(e.progress.records_so_far, 'record')} so far`
                  : e.sync_status === 'queued'
                    ? 'Waiting to start'
                    : '—'}
              </td>
              <td>{formatCount(e.records_total)}</td>
              <td style={NOWRAP}>
                {e.last_run ? (
                  <>
                    <Instant at={e.last_run.started_at} />
                    {e.last_run.finished_at
                      ? `, took ${runDuration(e.last_run.started_at, e.last_run.finished_at)}`
                      : ''}
                    <br />
                    {formatCount(e.last_run.records_pulled)} pulled, {formatCount(e.last_run.records_pushed)} pushed
                  </>
                ) : (
                  'Never'
                )}
              </td>
              <td>{e.conflicts_open === 0 ? 'None' : formatCount(e.conflicts_open)}</td>
              <td style={NOWRAP}>
                {directionName(e.sync_direction)}
                <br />
                {frequencyName(e.frequency)}
                {e.next_run_at ? (
                  <span className="muted">
                    {' '}
                    (next <Instant at={e.next_run_at} />)
                  </span>
                ) : null}
              </td>
              <td style={{ minWidth: '14rem', overflowWrap: 'anywhere' }}>
                {e.error ? <span className="field-error">{e.error}</span> : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
