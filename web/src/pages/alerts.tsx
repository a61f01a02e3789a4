/**
 * Alerts: the open ones (each can be acknowledged; it stays open until its condition clears) and the recently
 * resolved ones, with rule, connection, severity and status in words, times and message.
 */

import { useId, useRef, useState } from 'react';
import { Loading, ProblemMessage } from '../components/feedback';
import { Instant } from '../components/instant';
import { LoadMore } from '../components/load-more';
import { StatusText } from '../components/status-text';
import { TableScroll } from '../components/table-scroll';
import { type Alert, acknowledgeAlert, listAlerts, platformNames } from '../connection-api';
import { ruleName, severityName } from '../dashboard-format';
import { href } from '../router';
import { useLoad } from '../use-load';
import { usePagedList } from '../use-paged-list';

const SEVERITY_MARKS: Record<string, { mark: string; tone: string }> = {
  critical: { mark: '▲', tone: 'bad' },
  warning: { mark: '▲', tone: 'busy' },
  info: { mark: '○', tone: 'idle' },
};

function Severity({ severity }: { severity: string }) {
  const look = SEVERITY_MARKS[severity] ?? { mark: '○', tone: 'idle' };
  return (
    <span className={`status status-${look.tone}`}>
      <span aria-hidden="true">{look.mark} </span>
      {severityName(severity)}
    </span>
  );
}

export function Alerts() {
  const [message, setMessage] = useState<string>();
  return (
    <main id="main">
      <h1 tabIndex={-1}>Alerts</h1>
      <p className="lead">
        What needs attention across your connections. An alert resolves by itself when its cause clears.
      </p>
      <div role="status">{message ? <p className="notice">{message}</p> : null}</div>
      <AlertList
        status="open"
        heading="Open alerts"
        empty="No open alerts. Everything is working."
        onMessage={setMessage}
      />
      <AlertList status="resolved" heading="Recently resolved" empty="No resolved alerts yet." onMessage={setMessage} />
    </main>
  );
}

function AlertList({
  status,
  heading,
  empty,
  onMessage,
}: {
  status: 'open' | 'resolved';
  heading: string;
  empty: string;
  onMessage: (message: string) => void;
}) {
  const list = usePagedList(
    async (cursor?: string) => {
      const page = await listAlerts(status, cursor);
      return { items: page.alerts, next: page.next_cursor };
    },
    [status],
  );
  const alerts: Alert[] = list.items;
  const setAlerts = list.setItems;
  const [problem, setProblem] = useState<unknown>();
  const [acking, setAcking] = useState<string>();
  // The button goes once the alert is acknowledged: focus moves to what replaces it, not to the page's start.
  const focusAfterAck = useRef<string>(undefined);
  const headingId = useId();
  const names = useLoad(() => platformNames(), []).data;
  const nameOf = (id: string) => names?.get(id) ?? id;

  async function acknowledge(alert: Alert) {
    setAcking(alert.alert_id);
    setProblem(undefined);
    try {
      const { alert: updated } = await acknowledgeAlert(alert.alert_id);
      focusAfterAck.current = updated.alert_id;
      setAlerts((all) => all.map((a) => (a.alert_id === updated.alert_id ? updated : a)));
      onMessage(`Acknowledged: ${ruleName(alert.rule)}${alert.platform ? ` on ${nameOf(alert.platform)}` : ''}.`);
    } catch (error) {
      setProblem(error);
    } finally {
      setAcking(undefined);
    }
  }

  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{heading}</h2>
      {list.loading && alerts.length === 0 ? <Loading what={heading.toLowerCase()} /> : null}
      <ProblemMessage error={list.error} action={`Loading ${heading.toLowerCase()}`} />
      <ProblemMessage error={problem} action="Acknowledging" />
      {!list.loading && !list.error && alerts.length === 0 ? <p>{empty}</p> : null}
      {alerts.length > 0 ? (
        <TableScroll label={`${heading} table`}>
          <table style={{ minWidth: '56rem' }}>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Connection</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Opened</th>
                <th scope="col">{status === 'open' ? 'Last seen' : 'Resolved'}</th>
                <th scope="col">Message</th>
                {status === 'open' ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={a.alert_id}>
                  <th scope="row">{ruleName(a.rule)}</th>
                  <td>
                    {a.connection_id && a.platform ? (
                      <a href={href({ page: 'connection', platform: a.platform, connectionId: a.connection_id })}>
                        {nameOf(a.platform)}
                      </a>
                    ) : a.platform ? (
                      nameOf(a.platform)
                    ) : (
                      'All connections'
                    )}
                  </td>
                  <td>
                    <Severity severity={a.severity} />
                  </td>
                  <td>
                    <StatusText status={a.status} />
                    {a.acknowledged_at ? (
                      <div className="muted" style={{ overflowWrap: 'anywhere' }}>
                        Acknowledged <Instant at={a.acknowledged_at} />
                        {a.acknowledged_by ? ` by ${a.acknowledged_by}` : ''}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <Instant at={a.first_seen_at} />
                    {a.occurrences > 1 ? <div className="muted">{a.occurrences} times</div> : null}
                  </td>
                  <td>
                    <Instant at={status === 'open' ? a.last_seen_at : a.resolved_at} />
                  </td>
                  <td id={`alert-${a.alert_id}`} style={{ overflowWrap: 'anywhere', minWidth: '14rem' }}>
                    {a.message}
                  </td>
                  {status === 'open' ? (
                    <td>
                      {a.acknowledged_at ? (
                        <span
                          className="muted"
                          tabIndex={-1}
                          ref={(node) => {
                            if (node && focusAfterAck.current === a.alert_id) {
                              focusAfterAck.current = undefined;
                              node.focus();
                            }
                          }}
                        >
                          Acknowledged
                        </span>
                      ) : (
                        <button
                          type="button"
                          className="secondary"
                          disabled={acking === a.alert_id}
                          aria-describedby={`alert-${a.alert_id}`}
                          onClick={() => acknowledge(a)}
                        >
                          {acking === a.alert_id ? 'Acknowledging…' : 'Acknowledge'}
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <LoadMore list={list} label={`Load more ${heading.toLowerCase()}`} />
    </section>
  );
}
