/**
 * The synced copy of one entity, a page at a time: external id, a few fields, update times and deletion; a row
 * opens to show the record's JSON (the platform's raw record and the standard entity).
 */

import { Fragment, useEffect, useId, useMemo, useState } from 'react';
import { listRecords, type SyncedRecord, type Target } from '../connection-api';
import { cellText, previewFields } from '../dashboard-format';
import { usePagedList } from '../use-paged-list';
import { Loading, ProblemMessage } from './feedback';
import { Instant } from './instant';
import { LoadMore } from './load-more';
import { TableScroll } from './table-scroll';

export function RecordsBrowser({
  target,
  entities,
  version = 0,
}: {
  target: Target;
  /** The entities that sync (only they have records). */
  entities: string[];
  /** Changes when the records may have changed (a sync finished): the first page is read again. */
  version?: number;
}) {
  const [entity, setEntity] = useState(entities[0] ?? '');
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [open, setOpen] = useState<string>();
  const entityId = useId();

  useEffect(() => {
    if (!entities.includes(entity)) setEntity(entities[0] ?? '');
  }, [entities, entity]);

  const list = usePagedList(
    async (cursor?: string) => {
      if (!entity) return { items: [], next: null };
      const page = await listRecords(target, entity, { includeDeleted, ...(cursor ? { cursor } : {}) });
      return { items: page.records, next: page.next_cursor };
    },
    [target.platform, target.connectionId, entity, includeDeleted, version],
  );
  const records: SyncedRecord[] = list.items;
  const { loading, error } = list;
  // A new first page closes the row that was open.
  // biome-ignore lint/correctness/useExhaustiveDependencies: these are what make a new first page
  useEffect(() => setOpen(undefined), [target.platform, target.connectionId, entity, includeDeleted, version]);

  const fields = useMemo(() => previewFields(records.map((r) => r.data)), [records]);

  if (entities.length === 0) {
    return <p>Nothing is synced yet. Choose what to sync in the sync settings, then the records show here.</p>;
  }
  return (
    <>
      <div className="filter-row">
        <label htmlFor={entityId}>Data type</label>
        <select id={entityId} value={entity} onChange={(e) => setEntity(e.target.value)}>
          {entities.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={includeDeleted} onChange={(e) => setIncludeDeleted(e.target.checked)} />
          Show deleted records
        </label>
        <button type="button" className="secondary" onClick={list.reload}>
          Refresh records
        </button>
      </div>
      <ProblemMessage error={error} action="Loading records" />
      {loading && records.length === 0 ? <Loading what="records" /> : null}
      {!loading && !error && records.length === 0 ? <p>No {entity} records stored yet.</p> : null}
      {records.length > 0 ? (
        <TableScroll label={`${entity} records table`}>
          <table style={{ minWidth: '40rem' }}>
            <caption className="muted" style={{ textAlign: 'left' }}>
              {records.length} {entity} records shown{list.hasMore ? ' (more to load)' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">External ID</th>
                {fields.map((f) => (
                  <th key={f} scope="col">
                    {f}
                  </th>
                ))}
                <th scope="col">Updated at the platform</th>
                <th scope="col">Changed here</th>
                <th scope="col">Deleted</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => {
                const expanded = open === r.external_id;
                const detailId = `record-${entityId}-${r.external_id}`;
                return (
                  <Fragment key={r.external_id}>
                    <tr>
                      <th scope="row">
                        <button
                          type="button"
                          className="link-button"
                          style={{ marginLeft: 0, textAlign: 'left' }}
                          aria-expanded={expanded}
                          aria-controls={expanded ? detailId : undefined}
                          onClick={() => setOpen(expanded ? undefined : r.external_id)}
                        >
                          <span aria-hidden="true">{expanded ? '▾ ' : '▸ '}</span>
                          {r.external_id}
                        </button>
                      </th>
                      {fields.map((f) => (
                        <td key={f}>{cellText(r.data[f])}</td>
                      ))}
                      <td>
                        <Instant at={r.remote_updated_at} empty="Not given" />
                      </td>
                      <td>
                        <Instant at={r.local_updated_at} empty="—" />
                        {r.push_error ? (
                          <div className="field-error" style={{ overflowWrap: 'anywhere', minWidth: '12rem' }}>
                            Push failed: {r.push_error}
                          </div>
                        ) : null}
                      </td>
                      <td>{r.deleted ? 'Yes' : 'No'}</td>
                    </tr>
                    {expanded ? (
                      <tr id={detailId}>
                        <td colSpan={fields.length + 4}>
                          <RecordJson record={r} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <LoadMore list={list} label="Load more records" />
    </>
  );
}

function RecordJson({ record }: { record: SyncedRecord }) {
  const pre = {
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-word',
    margin: 0,
    maxHeight: '24rem',
    overflow: 'auto',
  } as const;
  return (
    <div style={{ display: 'grid', gap: '0.5rem' }}>
      <div>
        <strong>As the platform sends it</strong>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard */}
        <pre tabIndex={0} style={pre}>
          {JSON.stringify(record.data, null, 2)}
        </pre>
      </div>
      {record.normalized ? (
        <div>
          <strong>As a standard record</strong>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard */}
          <pre tabIndex={0} style={pre}>
            {JSON.stringify(record.normalized, null, 2)}
          </pre>
        </div>
      ) : null}
    </div>
  );
}
