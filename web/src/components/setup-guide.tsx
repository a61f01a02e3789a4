/**
 * A platform's setup guide, as the registry generates it from config: how the connection signs in, what each
 * credential and connection setting is (with an example), which OAuth scopes to grant, how webhooks are set up, and
 * what the platform's common errors mean and what to do about them.
 */
import { useId } from 'react';
import { fieldLabel } from '../field-label';

export interface SetupGuideData {
  sign_in: string;
  credentials: Array<{ field: string; required: boolean; what: string }>;
  connection_settings: Array<{ field: string; required: boolean; what: string; example: string }>;
  scopes: string[];
  webhooks: { setup: 'automatic' | 'in-platform' | 'unavailable' | string; steps: string };
  errors: Array<{ error: string; meaning: string; action: string }>;
}

const WEBHOOK_SETUP: Record<string, (name: string) => string> = {
  automatic: () => 'EnGarde sets them up for you.',
  'in-platform': (name) => `You set them up by hand in ${name}.`,
  unavailable: (name) => `${name} does not send webhooks.`,
};

/** A field as the form labels it, with the API's own name beside it. */
function FieldName({ field }: { field: string }) {
  const label = fieldLabel(field);
  return (
    <>
      {label}
      {label !== field ? (
        <>
          {' '}
          <code className="muted">{field}</code>
        </>
      ) : null}
    </>
  );
}

const dd = { margin: '0 0 0.75rem' } as const;

export function SetupGuide({
  guide,
  platformName,
  headingId,
}: {
  guide: SetupGuideData;
  platformName: string;
  /** The id of the section's heading (so a link can lead to it). */
  headingId?: string;
}) {
  const ownId = useId();
  const errorsCaption = useId();
  const webhookWords = WEBHOOK_SETUP[guide.webhooks.setup]?.(platformName) ?? guide.webhooks.setup;
  return (
    <section>
      <h2 id={headingId ?? ownId} tabIndex={-1}>
        Setup guide
      </h2>
      <h3>Signing in</h3>
      <p>{guide.sign_in}</p>

      {guide.credentials.length > 0 ? (
        <>
          <h3>Credentials</h3>
          <dl>
            {guide.credentials.map((c) => (
              <div key={c.field}>
                <dt>
                  <strong>
                    <FieldName field={c.field} />
                  </strong>{' '}
                  <span className="muted">({c.required ? 'required' : 'optional'})</span>
                </dt>
                <dd style={dd}>{c.what}</dd>
              </div>
            ))}
          </dl>
        </>
      ) : null}

      {guide.connection_settings.length > 0 ? (
        <>
          <h3>Connection settings</h3>
          <dl>
            {guide.connection_settings.map((s) => (
              <div key={s.field}>
                <dt>
                  <strong>
                    <FieldName field={s.field} />
                  </strong>{' '}
                  <span className="muted">({s.required ? 'required' : 'optional: it has a default'})</span>
                </dt>
                <dd style={dd}>
                  {s.what}
                  {s.example ? (
                    <>
                      {' '}
                      Example: <code>{s.example}</code>
                    </>
                  ) : null}
                </dd>
              </div>
            ))}
          </dl>
        </>
      ) : null}

      {guide.scopes.length > 0 ? (
        <>
          <h3>Scopes to grant</h3>
          <p>When {platformName} asks, approve these permissions:</p>
          <ul className="tags" aria-label="Scopes">
            {guide.scopes.map((scope) => (
              <li key={scope}>
                <code style={{ overflowWrap: 'anywhere' }}>{scope}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}

      <h3>Webhooks</h3>
      <p>
        <strong>{webhookWords}</strong> {guide.webhooks.steps}
      </p>

      {guide.errors.length > 0 ? (
        <>
          <h3>Common errors</h3>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard */}
          <section className="table-scroll" aria-labelledby={errorsCaption} tabIndex={0} style={{ margin: 0 }}>
            <table>
              <caption id={errorsCaption} className="muted" style={{ textAlign: 'left' }}>
                What each error means and what to do
              </caption>
              <thead>
                <tr>
                  <th scope="col">Error</th>
                  <th scope="col">What it means</th>
                  <th scope="col">What to do</th>
                </tr>
              </thead>
              <tbody>
                {guide.errors.map((e) => (
                  <tr key={e.error}>
                    <th scope="row">{e.error}</th>
                    <td>{e.meaning}</td>
                    <td>{e.action}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      ) : null}
    </section>
  );
}
