/**
 * What to sync and how: entities, direction, schedule and conflict strategy, sent as `POST …/sync` (which also
 * runs the sync now). Prefilled from the entities' current settings; the API's field messages show inline.
 */
import { type FormEvent, useId, useState } from 'react';
import { ApiProblem } from '../api/client';
import {
  type EntitySyncStatus,
  type RegistryEntity,
  type SyncSettings,
  startSync,
  type Target,
} from '../connection-api';
import {
  CONFLICT_STRATEGY_NAMES,
  DIRECTION_NAMES,
  directionName,
  FREQUENCY_NAMES,
  frequencyName,
} from '../dashboard-format';
import { ProblemMessage } from './feedback';

const CUSTOM = 'custom';

/** What an entity's checkbox says besides its name: read only, and how it syncs now. */
function entityNote(entity: RegistryEntity, current: EntitySyncStatus[]): string {
  const now = current.find((c) => c.entity_type === entity.name);
  const notes = [
    ...(entity.write.length === 0 ? ['read only'] : []),
    now
      ? `now ${directionName(now.sync_direction).toLowerCase()}, ${frequencyName(now.frequency).toLowerCase()}`
      : 'not synced',
  ];
  return ` (${notes.join('; ')})`;
}

export function SyncSettingsForm({
  target,
  entities,
  current,
  prompt,
  onSaved,
}: {
  target: Target;
  /** The platform's entities (registry). */
  entities: RegistryEntity[];
  /** Entities set up to sync now. */
  current: EntitySyncStatus[];
  /** A line above the form (why it is asked for). */
  prompt?: string;
  onSaved: (message: string) => void;
}) {
  const first = current[0];
  // Checked at first: the entities sharing the first one's settings (so saving changes nothing unasked), or all
  // of them when nothing syncs yet.
  const [selected, setSelected] = useState<string[]>(() =>
    first
      ? current
          .filter(
            (e) =>
              e.sync_direction === first.sync_direction &&
              e.frequency === first.frequency &&
              e.conflict_strategy === first.conflict_strategy,
          )
          .map((e) => e.entity_type)
      : entities.map((e) => e.name),
  );
  const [direction, setDirection] = useState<SyncSettings['sync_direction']>(
    (first?.sync_direction as SyncSettings['sync_direction'] | undefined) ?? 'pull',
  );
  const initialFrequency = first?.frequency ?? 'manual';
  const [frequency, setFrequency] = useState(initialFrequency in FREQUENCY_NAMES ? initialFrequency : CUSTOM);
  const [cron, setCron] = useState(initialFrequency in FREQUENCY_NAMES ? '' : initialFrequency);
  const [strategy, setStrategy] = useState<SyncSettings['conflict_strategy']>(
    (first?.conflict_strategy as SyncSettings['conflict_strategy'] | undefined) ?? 'manual',
  );
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>();
  const [entityErrors, setEntityErrors] = useState<string[]>([]);
  const [cronError, setCronError] = useState<string>();
  const ids = { direction: useId(), frequency: useId(), cron: useId(), strategy: useId(), entities: useId() };
  const cronHelpId = useId();

  const readOnly = (name: string) => entities.find((e) => e.name === name)?.write.length === 0;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(undefined);
    setCronError(undefined);
    const errors: string[] = [];
    if (selected.length === 0) errors.push('Choose at least one kind of data to sync.');
    if (direction !== 'pull') {
      const pullOnly = selected.filter(readOnly);
      if (pullOnly.length > 0) {
        errors.push(`${pullOnly.join(', ')} can only be pulled: the platform does not accept writes to them.`);
      }
    }
    const schedule = frequency === CUSTOM ? cron.trim() : frequency;
    if (frequency === CUSTOM && schedule === '') {
      setCronError('Enter a cron expression, such as 0 */6 * * * (every 6 hours).');
    }
    setEntityErrors(errors);
    if (errors.length > 0 || (frequency === CUSTOM && schedule === '')) return;
    const body: SyncSettings = {
      sync_direction: direction,
      frequency: schedule,
      conflict_strategy: strategy,
      entities: [...selected].sort(),
    };
    setBusy(true);
    try {
      await startSync(target, body);
      onSaved(`Saved. Syncing ${body.entities.join(', ')} now.`);
    } catch (error) {
      if (error instanceof ApiProblem && error.errors.length > 0) {
        setCronError(error.fieldMessage('/frequency'));
        setEntityErrors(
          error.errors
            .filter((e) => e.path.startsWith('/entities'))
            .map((e) => {
              const index = Number(e.path.split('/')[2]);
              const name = body.entities[index];
              return name ? `${name}: ${e.message}` : e.message;
            }),
        );
        const known = error.errors.every((e) => e.path === '/frequency' || e.path.startsWith('/entities'));
        if (!known) setProblem(error);
      } else {
        setProblem(error);
      }
    } finally {
      setBusy(false);
    }
  }

  const entityErrorId = `${ids.entities}-error`;
  return (
    <form className="form-grid" onSubmit={submit} noValidate>
      {prompt ? (
        <p className="notice" role="status">
          {prompt}
        </p>
      ) : null}
      <fieldset
        aria-describedby={entityErrors.length > 0 ? entityErrorId : undefined}
        aria-invalid={entityErrors.length > 0 ? true : undefined}
        style={{ border: '1px solid var(--line)', borderRadius: 4 }}
      >
        <legend style={{ fontWeight: 600 }}>Data to sync</legend>
        <p className="help">Only the checked kinds of data get these settings; the others keep theirs.</p>
        <div style={{ display: 'grid', gap: '0.25rem' }}>
          {entities.map((e) => (
            <label key={e.name} className="check">
              <input
                type="checkbox"
                checked={selected.includes(e.name)}
                onChange={(event) =>
                  setSelected((s) => (event.target.checked ? [...s, e.name] : s.filter((n) => n !== e.name)))
                }
              />
              {e.name}
              <span className="muted">{entityNote(e, current)}</span>
            </label>
          ))}
        </div>
        {entityErrors.length > 0 ? (
          <ul id={entityErrorId} className="field-error" role="alert">
            {entityErrors.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        ) : null}
      </fieldset>
      <div className="form-field">
        <label htmlFor={ids.direction}>Direction</label>
        <select
          id={ids.direction}
          value={direction}
          onChange={(e) => setDirection(e.target.value as SyncSettings['sync_direction'])}
        >
          {Object.entries(DIRECTION_NAMES).map(([value, words]) => (
            <option key={value} value={value}>
              {words}
            </option>
          ))}
        </select>
      </div>
      <div className="form-field">
        <label htmlFor={ids.frequency}>Schedule</label>
        <select id={ids.frequency} value={frequency} onChange={(e) => setFrequency(e.target.value)}>
          {Object.entries(FREQUENCY_NAMES).map(([value, words]) => (
            <option key={value} value={value}>
              {words}
            </option>
          ))}
          <option value={CUSTOM}>Custom (cron expression)</option>
        </select>
      </div>
      {frequency === CUSTOM ? (
        <div className="form-field">
          <label htmlFor={ids.cron}>Cron expression</label>
          <input
            id={ids.cron}
            value={cron}
            onChange={(e) => setCron(e.target.value)}
            spellCheck={false}
            aria-invalid={cronError ? true : undefined}
            aria-describedby={cronError ? `${cronHelpId} ${ids.cron}-error` : cronHelpId}
          />
          <p id={cronHelpId} className="help">
            Five fields in UTC: minute, hour, day of month, month, day of week.
          </p>
          {cronError ? (
            <p id={`${ids.cron}-error`} className="field-error" role="alert">
              {cronError}
            </p>
          ) : null}
        </div>
      ) : cronError ? (
        <p className="field-error" role="alert">
          Schedule: {cronError}
        </p>
      ) : null}
      <div className="form-field">
        <label htmlFor={ids.strategy}>When both sides changed a field</label>
        <select
          id={ids.strategy}
          value={strategy}
          onChange={(e) => setStrategy(e.target.value as SyncSettings['conflict_strategy'])}
          aria-describedby={`${ids.strategy}-help`}
        >
          {Object.entries(CONFLICT_STRATEGY_NAMES).map(([value, words]) => (
            <option key={value} value={value}>
              {words}
            </option>
          ))}
        </select>
        <p id={`${ids.strategy}-help`} className="help">
          Conflict strategy: applies to data pushed to the platform.
        </p>
      </div>
      <ProblemMessage error={problem} action="Saving the sync settings" />
      <div>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save and start syncing'}
        </button>
      </div>
    </form>
  );
}
