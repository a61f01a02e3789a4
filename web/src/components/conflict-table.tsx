/**
 * One open conflict: per field, the value both sides last agreed on (base), ours (local) and the platform's
 * (remote) side by side, and an editable merged value prefilled with the remote one. Resolved by keeping local,
 * keeping remote, or sending the edited values (`resolution: merge`).
 */
import { useId, useState } from 'react';
import { conflictValueText, DELETED_FIELD, editableText, mergedData } from '../conflict-values';
import { type Conflict, resolveConflict, type Target } from '../connection-api';
import { ProblemMessage } from './feedback';
import { Instant } from './instant';
import { TableScroll } from './table-scroll';

function Value({ value }: { value: unknown }) {
  const text = conflictValueText(value);
  return value === null || value === undefined ? <span className="muted">{text}</span> : text;
}

export function ConflictTable({
  target,
  conflict,
  onResolved,
}: {
  target: Target;
  conflict: Conflict;
  onResolved: (message: string) => void;
}) {
  const names = Object.keys(conflict.fields).sort();
  const deletion = names.includes(DELETED_FIELD);
  const [edits, setEdits] = useState<Record<string, string>>(() =>
    Object.fromEntries(names.map((n) => [n, editableText(conflict.fields[n]?.remote)])),
  );
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>();
  const headingId = useId();
  const inputId = useId();
  const what = `${conflict.entity_type} ${conflict.external_id}`;

  async function resolve(resolution: 'local' | 'remote' | 'merge') {
    setBusy(true);
    setProblem(undefined);
    try {
      await resolveConflict(
        target,
        conflict.conflict_id,
        resolution === 'merge' ? { resolution, data: mergedData(conflict.fields, edits) } : { resolution },
      );
      const how =
        resolution === 'local'
          ? 'kept the local values'
          : resolution === 'remote'
            ? 'kept the platform’s values'
            : 'sent the edited values';
      onResolved(`Conflict on ${what} resolved: ${how}.`);
    } catch (error) {
      setProblem(error);
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby={headingId} className="card" style={{ margin: '1rem 0' }}>
      <h3 id={headingId} style={{ margin: 0 }}>
        Conflict: {what}
      </h3>
      <p className="muted" style={{ margin: '0.25rem 0' }}>
        Found <Instant at={conflict.created_at} />.{' '}
        {deletion ? 'The record was deleted on one side and changed on the other.' : null}
      </p>
      <TableScroll label={`Conflicting fields of ${what}`}>
        <table style={{ minWidth: '36rem' }}>
          <caption className="muted" style={{ textAlign: 'left' }}>
            Conflicting fields of {what}
          </caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Base (last agreed)</th>
              <th scope="col">Local (EnGarde)</th>
              <th scope="col">Remote (platform)</th>
              {deletion ? null : <th scope="col">Merged value</th>}
            </tr>
          </thead>
          <tbody>
            {names.map((name, i) => {
              const values = conflict.fields[name] ?? { base: null, local: null, remote: null };
              return (
                <tr key={name}>
                  <th scope="row">{name === DELETED_FIELD ? 'Deleted' : name}</th>
                  <td>
                    <Value value={values.base} />
                  </td>
                  <td>
                    <Value value={values.local} />
                  </td>
                  <td>
                    <Value value={values.remote} />
                  </td>
                  {deletion ? null : (
                    <td>
                      <input
                        id={`${inputId}-${i}`}
                        aria-label={`Merged value for ${name}`}
                        value={edits[name] ?? ''}
                        onChange={(e) => setEdits((all) => ({ ...all, [name]: e.target.value }))}
                        style={{ minWidth: '10rem', width: '100%' }}
                      />
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
      <ProblemMessage error={problem} action="Resolving the conflict" />
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: '0.5rem', marginTop: '0.5rem' }}>
        <button type="button" className="secondary" disabled={busy} onClick={() => resolve('local')}>
          Keep local
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => resolve('remote')}>
          Keep remote
        </button>
        {deletion ? null : (
          <button type="button" disabled={busy} onClick={() => resolve('merge')}>
            Resolve with edited values
          </button>
        )}
      </div>
    </section>
  );
}
