/**
 * One connection's dashboard: health, sync status per entity (polled while a sync is queued or running), Sync now
 * and the sync settings, open conflicts, charts of its activity, the synced records, webhook deliveries, and
 * disconnecting.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ConflictTable } from '../components/conflict-table';
import { EventsLog } from '../components/events-log';
import { Loading, ProblemMessage } from '../components/feedback';
import { Instant } from '../components/instant';
import { RecordsBrowser } from '../components/records-browser';
import { StatisticsCharts } from '../components/statistics-charts';
import { StatusText } from '../components/status-text';
import { SyncSettingsForm } from '../components/sync-settings-form';
import { SyncStatusTable } from '../components/sync-status-table';
import {
  type Connection,
  checkHealth,
  disconnect,
  type Integration,
  listConflicts,
  listConnections,
  loadIntegration,
  loadSyncStatus,
  startSync,
  type Target,
} from '../connection-api';
import { formatDuration, formatInstant, isSyncBusy, syncNowRequests } from '../dashboard-format';
import { href } from '../router';
import { type Loaded, useLoad } from '../use-load';

/** How often the sync status is asked for while a sync is queued or running. */
const POLL_MS = 3000;

/** The connection with this id, looked up in the tenant's list (there is no route for one connection). */
async function findConnection(connectionId: string): Promise<Connection | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const answer = await listConnections(cursor, 500);
    const found = answer.connections.find((c) => c.connection_id === connectionId);
    if (found || !answer.next_cursor) return found;
    cursor = answer.next_cursor;
  }
  return undefined;
}

export function ConnectionPage({ platform, connectionId }: { platform: string; connectionId: string }) {
  const connection = useLoad(() => findConnection(connectionId), [connectionId]);
  const integration = useLoad(() => loadIntegration(platform), [platform]);
  const name = integration.data?.integration.name ?? platform;
  const found = connection.data;
  const missing = !connection.loading && !connection.error && (!found || found.platform !== platform);

  return (
    <main id="main">
      <p style={{ margin: 0 }}>
        <a href={href({ page: 'connections' })}>All connections</a>
      </p>
      <h1 tabIndex={-1}>{found?.label ? `${name} — ${found.label}` : `${name} connection`}</h1>
      {connection.loading && !found ? <Loading what="the connection" /> : null}
      <ProblemMessage error={connection.error} action="Loading the connection" />
      {missing ? (
        <p>
          This connection does not exist or was disconnected. See{' '}
          <a href={href({ page: 'connections' })}>your connections</a> or connect {name} again from the{' '}
          <a href={href({ page: 'platform', id: platform })}>{name} page</a>.
        </p>
      ) : null}
      {found && found.platform === platform ? (
        <Dashboard
          connection={found}
          platformName={name}
          integration={integration}
          onConnectionChanged={connection.reload}
        />
      ) : null}
    </main>
  );
}

function Notice({ message }: { message: string | undefined }) {
  return <div role="status">{message ? <p className="notice">{message}</p> : null}</div>;
}

function ConnectionStatus({ status }: { status: string }) {
  if (status === 'needs_reauth') {
    return (
      <span className="status status-bad">
        <span aria-hidden="true">▲ </span>Needs signing in again
      </span>
    );
  }
  return <StatusText status={status} />;
}

function Dashboard({
  connection,
  platformName,
  integration,
  onConnectionChanged,
}: {
  connection: Connection;
  platformName: string;
  integration: Loaded<{ integration: Integration }>;
  onConnectionChanged: () => void;
}) {
  const target: Target = useMemo(
    () => ({ platform: connection.platform, connectionId: connection.connection_id }),
    [connection.platform, connection.connection_id],
  );
  const health = useLoad(() => checkHealth(target), [target]);
  const sync = useLoad(() => loadSyncStatus(target), [target]);
  const conflicts = useLoad(() => listConflicts(target), [target]);
  const [syncMessage, setSyncMessage] = useState<string>();
  const [settingsMessage, setSettingsMessage] = useState<string>();
  const [conflictMessage, setConflictMessage] = useState<string>();
  const [syncProblem, setSyncProblem] = useState<unknown>();
  const [starting, setStarting] = useState(false);
  const [askSettings, setAskSettings] = useState(false);
  const [recordsVersion, setRecordsVersion] = useState(0);
  const settingsHeading = useRef<HTMLHeadingElement>(null);
  // A resolved conflict's card goes away with the button that was pressed: focus moves to the section's heading.
  const conflictsHeading = useRef<HTMLHeadingElement>(null);

  const entities = sync.data?.entities ?? [];
  const busy = isSyncBusy(entities);

  // Poll while a sync is queued or running; a failed poll is retried too. The timer goes with the page.
  useEffect(() => {
    if (!busy || sync.loading) return;
    const timer = setTimeout(sync.reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [busy, sync.loading, sync.reload]);

  // When a sync finishes: say so, and refresh what it changed.
  const wasBusy = useRef(false);
  const reloadConflicts = conflicts.reload;
  useEffect(() => {
    if (wasBusy.current && !busy && sync.data) {
      const failed = sync.data.entities.filter((e) => e.sync_status === 'failed').map((e) => e.entity_type);
      setSyncMessage(failed.length > 0 ? `Sync finished; ${failed.join(', ')} failed.` : 'Sync finished.');
      reloadConflicts();
      onConnectionChanged();
      setRecordsVersion((v) => v + 1);
    }
    wasBusy.current = busy;
  }, [busy, sync.data, reloadConflicts, onConnectionChanged]);

  // A conflict found or resolved elsewhere (a push in the background) changes the count: list them again.
  const openConflicts = entities.reduce((n, e) => n + e.conflicts_open, 0);
  const seenConflicts = useRef<number>(undefined);
  useEffect(() => {
    if (!sync.data) return;
    if (seenConflicts.current !== undefined && seenConflicts.current !== openConflicts) reloadConflicts();
    seenConflicts.current = openConflicts;
  }, [openConflicts, sync.data, reloadConflicts]);

  async function syncNow() {
    setSyncProblem(undefined);
    setSyncMessage(undefined);
    if (entities.length === 0) {
      setAskSettings(true);
      settingsHeading.current?.focus();
      return;
    }
    setStarting(true);
    try {
      for (const body of syncNowRequests(entities)) await startSync(target, body);
      setSyncMessage(`Sync started for ${entities.map((e) => e.entity_type).join(', ')}.`);
      wasBusy.current = true;
      sync.reload();
    } catch (error) {
      setSyncProblem(error);
    } finally {
      setStarting(false);
    }
  }

  const onSaved = useCallback(
    (message: string) => {
      setAskSettings(false);
      setSettingsMessage(message);
      wasBusy.current = true;
      sync.reload();
    },
    [sync.reload],
  );

  const entityNames = useMemo(() => entities.map((e) => e.entity_type), [entities]);
  const registryEntities = integration.data?.integration.entities ?? [];
  const lastSync = health.data?.last_sync_at ?? connection.last_sync_at;
  const observed = health.data?.rate_limit.observed;

  return (
    <>
      <section aria-labelledby="overview-heading">
        <h2 id="overview-heading">Overview</h2>
        <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '0.25rem 1rem', margin: 0 }}>
          <dt>Health</dt>
          <dd style={{ margin: 0 }}>
            {health.data ? (
              <>
                <StatusText status={health.data.healthy ? 'healthy' : 'failing'} />{' '}
                <span className="muted">
                  checked <Instant at={health.data.checked_at} />, answered in {formatDuration(health.data.latency_ms)}
                </span>
                {health.data.error ? <div className="field-error">{health.data.error}</div> : null}
              </>
            ) : (
              <>
                <StatusText status={connection.health} />
                {health.loading ? <span className="muted"> (checking now…)</span> : null}
              </>
            )}
          </dd>
          <dt>Status</dt>
          <dd style={{ margin: 0 }}>
            <ConnectionStatus status={health.data?.status ?? connection.status} />
          </dd>
          <dt>Last sync</dt>
          <dd style={{ margin: 0 }}>
            <Instant at={lastSync} />
          </dd>
          {connection.created_at ? (
            <>
              <dt>Connected</dt>
              <dd style={{ margin: 0 }}>
                <Instant at={connection.created_at} />
              </dd>
            </>
          ) : null}
          {observed ? (
            <>
              <dt>Rate limit</dt>
              <dd style={{ margin: 0 }}>
                {observed.remaining !== null && observed.limit !== null
                  ? `${observed.remaining} of ${observed.limit} requests left`
                  : 'Observed'}
                {observed.reset_at ? `, resets ${formatInstant(observed.reset_at)}` : ''}
                {observed.paused_until ? `; paused until ${formatInstant(observed.paused_until)}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
        <ProblemMessage error={health.error} action="Checking health" />
        <p>
          <button type="button" className="secondary" onClick={health.reload} disabled={health.loading}>
            {health.loading ? 'Checking…' : 'Check health now'}
          </button>
        </p>
      </section>

      <section aria-labelledby="sync-heading">
        <h2 id="sync-heading">Sync</h2>
        <p>
          <button type="button" onClick={syncNow} disabled={starting || !sync.data}>
            {starting ? 'Starting…' : 'Sync now'}
          </button>
          {busy ? <span className="muted"> Updating every few seconds while syncing.</span> : null}
        </p>
        <Notice message={syncMessage} />
        <ProblemMessage error={syncProblem} action="Starting the sync" />
        <ProblemMessage error={sync.error} action="Loading the sync status" />
        {sync.loading && !sync.data ? <Loading what="the sync status" /> : null}
        {sync.data && entities.length === 0 ? (
          <p>Nothing syncs yet. Choose what to sync in the settings below, then it runs.</p>
        ) : null}
        {entities.length > 0 ? <SyncStatusTable entities={entities} /> : null}
      </section>

      <section aria-labelledby="settings-heading">
        <h2 id="settings-heading" ref={settingsHeading} tabIndex={-1}>
          Sync settings
        </h2>
        <Notice message={settingsMessage} />
        <ProblemMessage error={integration.error} action="Loading the platform’s data types" />
        {sync.data && integration.data ? (
          <SyncSettingsForm
            target={target}
            entities={registryEntities}
            current={entities}
            prompt={askSettings ? 'Choose what to sync and how, then Save and start syncing.' : undefined}
            onSaved={onSaved}
          />
        ) : (
          <Loading what="the sync settings" />
        )}
      </section>

      <section aria-labelledby="conflicts-heading">
        <h2 id="conflicts-heading" ref={conflictsHeading} tabIndex={-1}>
          Conflicts
        </h2>
        <Notice message={conflictMessage} />
        <ProblemMessage error={conflicts.error} action="Loading conflicts" />
        {conflicts.data && conflicts.data.conflicts.length === 0 ? (
          <p>No open conflicts: EnGarde and {platformName} agree.</p>
        ) : null}
        {conflicts.data?.conflicts.map((c) => (
          <ConflictTable
            key={c.conflict_id}
            target={target}
            conflict={c}
            onResolved={(message) => {
              setConflictMessage(message);
              conflictsHeading.current?.focus();
              conflicts.reload();
              sync.reload();
              setRecordsVersion((v) => v + 1);
            }}
          />
        ))}
      </section>

      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Activity</h2>
        <StatisticsCharts target={target} />
      </section>

      <section aria-labelledby="records-heading">
        <h2 id="records-heading">Records</h2>
        <RecordsBrowser target={target} entities={entityNames} version={recordsVersion} />
      </section>

      <section aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Webhook deliveries</h2>
        <EventsLog target={target} />
      </section>

      <DisconnectSection target={target} platformName={platformName} />
    </>
  );
}

function DisconnectSection({ target, platformName }: { target: Target; platformName: string }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>();
  const question = useRef<HTMLParagraphElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);

  useEffect(() => {
    if (confirming) question.current?.focus();
    else if (returnFocus.current) opener.current?.focus();
  }, [confirming]);

  async function confirm() {
    setBusy(true);
    setProblem(undefined);
    try {
      await disconnect(target);
      window.location.hash = `${href({ page: 'connections' })}?disconnected=${encodeURIComponent(target.platform)}`;
    } catch (error) {
      setProblem(error);
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="disconnect-heading">
      <h2 id="disconnect-heading">Disconnect</h2>
      <p>
        Disconnecting revokes EnGarde’s access at {platformName} where it can, removes webhook subscriptions made
        through its API, and erases the stored credentials. Syncing stops.
      </p>
      {confirming ? (
        <div className="problem" style={{ display: 'grid', gap: '0.5rem' }}>
          <p ref={question} tabIndex={-1} style={{ margin: 0 }}>
            <strong>Disconnect {platformName}?</strong> This cannot be undone; connecting again needs the credentials
            again.
          </p>
          <ProblemMessage error={problem} action="Disconnecting" />
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: '0.5rem' }}>
            <button type="button" className="danger" onClick={confirm} disabled={busy}>
              {busy ? 'Disconnecting…' : 'Yes, disconnect'}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => {
                returnFocus.current = true;
                setConfirming(false);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <button ref={opener} type="button" className="danger" onClick={() => setConfirming(true)}>
          Disconnect
        </button>
      )}
    </section>
  );
}
