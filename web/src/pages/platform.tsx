/**
 * One platform: what it offers (data types with read / write / incremental, sign-in, rate limit, webhooks, API
 * version, the vendor's docs), its setup guide, and Connect — the OAuth consent for platforms that have one, else a
 * form generated from its credentials and connection-config schemas — all from the registry route.
 */
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ApiProblem, api, ok } from '../api/client';
import { authKindName, categoryName } from '../categories';
import { Loading, ProblemMessage } from '../components/feedback';
import { JsonSchemaForm, type JsonSchemaObject, type SchemaFormValues } from '../components/json-schema-form';
import { SetupGuide, type SetupGuideData } from '../components/setup-guide';
import { href } from '../router';
import { useLoad } from '../use-load';

/** `GET /integrations/registry/{integration_id}` → `integration`, as this page reads it. */
interface IntegrationDetail {
  id: string;
  name: string;
  category: string;
  auth_kind: string;
  docs_url: string;
  api_version: string;
  description: string;
  supports: { write: boolean; webhooks: boolean; incremental: boolean; oauth: boolean };
  webhooks: { scheme: string };
  rate_limit: { model: string; summary: string };
  entities: Array<{
    name: string;
    description: string;
    standard: string | null;
    read: boolean;
    write: string[];
    incremental: boolean;
  }>;
  credentials_schema: JsonSchemaObject;
  connection_config_schema: JsonSchemaObject;
  oauth: { scopes: string[]; scope_separator: string; grant_type: string } | null;
  /** Absent from a service older than the setup guide. */
  setup_guide?: SetupGuideData;
}

/** The optional name a connection is listed under. */
const LABEL_SCHEMA: JsonSchemaObject = {
  type: 'object',
  properties: {
    label: {
      type: 'string',
      description: 'A name to tell this connection from others to the same platform, such as "EU shop". Optional.',
      maxLength: 200,
    },
  },
  required: [],
};

function yesNo(value: boolean): string {
  return value ? 'Yes' : 'No';
}

/** `['create', 'update']` → "Create, update"; none → "No". */
function writeWords(write: string[]): string {
  if (write.length === 0) return 'No';
  const words = write.join(', ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const WEBHOOK_WORDS: Record<string, string> = {
  automatic: 'Yes, set up by EnGarde',
  'in-platform': 'Yes, set up by hand in the platform',
  unavailable: 'No',
};

export function PlatformPage({ id }: { id: string }) {
  const loaded = useLoad(async () => {
    const data = await ok(
      api.GET('/integrations/registry/{integration_id}', { params: { path: { integration_id: id } } }),
    );
    return (data as unknown as { integration: IntegrationDetail }).integration;
  }, [id]);
  const integration = loaded.data?.id === id ? loaded.data : undefined;

  useEffect(() => {
    if (integration) document.title = `${integration.name} — EnGarde`;
  }, [integration]);

  const notFound = loaded.error instanceof ApiProblem && loaded.error.status === 404;
  return (
    // Long URLs and tokens in the platform's texts wrap rather than widen the page at 390 px.
    <main id="main" style={{ overflowWrap: 'break-word' }}>
      <p>
        <a href={href({ page: 'marketplace' })}>← All integrations</a>
      </p>
      <h1 tabIndex={-1}>{integration?.name ?? (notFound ? 'Integration not found' : 'Integration')}</h1>
      {loaded.loading && !integration ? <Loading what="the integration" /> : null}
      {notFound ? (
        <p>
          There is no integration called “{id}”. Find one in the <a href={href({ page: 'marketplace' })}>marketplace</a>
          .
        </p>
      ) : (
        <ProblemMessage error={integration ? undefined : loaded.error} action="Loading the integration" />
      )}
      {integration ? <PlatformDetail integration={integration} /> : null}
    </main>
  );
}

function PlatformDetail({ integration }: { integration: IntegrationDetail }) {
  const guideHeadingId = useId();
  const entitiesCaption = useId();
  const incremental = integration.entities.filter((e) => e.incremental).length;
  const writable = integration.entities.filter((e) => e.write.length > 0).length;
  const total = integration.entities.length;
  const signIn =
    integration.oauth && integration.oauth.grant_type !== 'authorization_code'
      ? `${authKindName(integration.auth_kind)} (${integration.oauth.grant_type.replace(/_/g, ' ')})`
      : authKindName(integration.auth_kind);

  const facts: Array<[string, ReactNode]> = [
    ['Category', categoryName(integration.category)],
    ['Sign-in', signIn],
    ['Rate limit', integration.rate_limit.summary],
    ['Webhooks', WEBHOOK_WORDS[integration.setup_guide?.webhooks.setup ?? ''] ?? yesNo(integration.supports.webhooks)],
    ['Incremental sync', incremental > 0 ? `Yes, for ${incremental} of ${total} data types` : 'No'],
    ['Writes', writable > 0 ? `Yes, to ${writable} of ${total} data types` : 'No, read only'],
    ['API version', integration.api_version],
    [
      'Documentation',
      <a key="docs" href={integration.docs_url} rel="noreferrer" style={{ overflowWrap: 'anywhere' }}>
        {integration.name} API documentation
      </a>,
    ],
  ];

  return (
    <>
      <p className="lead">{integration.description}</p>
      <dl
        style={{
          display: 'grid',
          gridTemplateColumns: 'minmax(7rem, max-content) minmax(0, 1fr)',
          gap: '0.25rem 1rem',
        }}
      >
        {facts.map(([term, value]) => (
          <div key={term} style={{ display: 'contents' }}>
            <dt style={{ fontWeight: 600 }}>{term}</dt>
            <dd style={{ margin: 0 }}>{value}</dd>
          </div>
        ))}
      </dl>

      <ConnectSection integration={integration} guideHeadingId={guideHeadingId} />

      {integration.setup_guide ? (
        <SetupGuide guide={integration.setup_guide} platformName={integration.name} headingId={guideHeadingId} />
      ) : null}

      <section>
        <h2>Data types</h2>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard */}
        <section className="table-scroll" aria-labelledby={entitiesCaption} tabIndex={0} style={{ margin: 0 }}>
          <table>
            <caption id={entitiesCaption} className="muted" style={{ textAlign: 'left' }}>
              What EnGarde reads and writes of each data type
            </caption>
            <thead>
              <tr>
                <th scope="col">Data type</th>
                <th scope="col">Standard entity</th>
                <th scope="col">Read</th>
                <th scope="col">Write</th>
                <th scope="col">Incremental</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {integration.entities.map((e) => (
                <tr key={e.name}>
                  <th scope="row">{e.name}</th>
                  <td>{e.standard ?? <span className="muted">None</span>}</td>
                  <td>{yesNo(e.read)}</td>
                  <td>{writeWords(e.write)}</td>
                  <td>{yesNo(e.incremental)}</td>
                  <td style={{ minWidth: '22rem' }}>{e.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </section>
    </>
  );
}

interface Connected {
  connectionId: string;
  label: string | null;
}

function ConnectSection({ integration, guideHeadingId }: { integration: IntegrationDetail; guideHeadingId: string }) {
  const [tokenFormOpen, setTokenFormOpen] = useState(false);
  const [connected, setConnected] = useState<Connected>();
  const noticeRef = useRef<HTMLDivElement>(null);
  const { id, name } = integration;
  const consent = integration.oauth?.grant_type === 'authorization_code';
  const hasSettings = Object.keys(integration.connection_config_schema.properties ?? {}).length > 0;

  useEffect(() => {
    if (connected) noticeRef.current?.focus();
  }, [connected]);

  async function connectWithCredentials(values: SchemaFormValues) {
    const data = await ok(
      api.POST('/integrations/{integration_id}/connect', {
        params: { path: { integration_id: id } },
        body: values as {
          credentials: Record<string, unknown>;
          connection_config?: Record<string, unknown>;
          label?: string;
        },
      }),
    );
    const connection = (data as unknown as { connection: { connection_id: string; label: string | null } }).connection;
    setConnected({ connectionId: connection.connection_id, label: connection.label });
  }

  async function startOAuth(values: SchemaFormValues) {
    const config = (values.connection_config ?? {}) as Record<string, string>;
    const started = await ok(
      api.POST('/platform-integrations/oauth/initiate', {
        body: {
          platform: id,
          ...(Object.keys(config).length > 0 ? { connection_config: config } : {}),
          ...(typeof values.label === 'string' ? { label: values.label } : {}),
          // A path, which the service takes on its own origin whichever address this page was opened at; the
          // callback brings the browser back there with ?connection_id=… (or ?error=…).
          redirect_after: `${window.location.pathname}#/connections`,
        },
      }),
    ).catch((error: unknown) => {
      // Without an OAuth app in this deployment, a pasted access token is the way left: open that form.
      if (error instanceof ApiProblem && error.body.error === 'oauth_not_configured') {
        setTokenFormOpen(true);
        throw new ApiProblem(error.status, {
          ...error.body,
          detail:
            `This EnGarde has no OAuth app for ${name} yet, so signing in with ${name} is not possible here. ` +
            `Connect with an access token below, or ask your operator to set one up (${error.message}).`,
        });
      }
      throw error;
    });
    const { authorization_url } = started as unknown as { authorization_url: string };
    window.location.assign(authorization_url);
  }

  const guide = integration.setup_guide;
  const guideLink = (
    <a
      href={`#${guideHeadingId}`}
      onClick={(event) => {
        // The page routes by the fragment: move to the guide without changing the route.
        event.preventDefault();
        const heading = document.getElementById(guideHeadingId);
        heading?.scrollIntoView();
        heading?.focus();
      }}
    >
      setup guide
    </a>
  );

  const credentialParts = [
    { key: 'credentials', schema: integration.credentials_schema, legend: 'Credentials' },
    ...(hasSettings
      ? [{ key: 'connection_config', schema: integration.connection_config_schema, legend: 'Connection settings' }]
      : []),
    { key: '', schema: LABEL_SCHEMA },
  ];

  return (
    <section>
      <h2>Connect {name}</h2>
      {connected ? (
        <div className="notice" role="status" tabIndex={-1} ref={noticeRef}>
          <p style={{ margin: 0 }}>
            Connected to {name}
            {connected.label ? ` as “${connected.label}”` : ''}.{' '}
            <a href={href({ page: 'connection', platform: id, connectionId: connected.connectionId })}>
              Open the connection
            </a>{' '}
            to choose what to sync.
          </p>
        </div>
      ) : null}
      {consent ? (
        <>
          <p>
            You will go to {name} to sign in and approve EnGarde's access, then come back to your connections.
            {hasSettings ? ` First tell EnGarde which ${name} account to connect.` : ''}
            {guide && guide.scopes.length > 0 ? (
              <>
                {' '}
                The {guideLink} lists the permissions {name} will ask for.
              </>
            ) : null}
          </p>
          <JsonSchemaForm
            key={`${id}-oauth`}
            parts={[
              ...(hasSettings
                ? [
                    {
                      key: 'connection_config',
                      schema: integration.connection_config_schema,
                      legend: 'Connection settings',
                    },
                  ]
                : []),
              { key: '', schema: LABEL_SCHEMA },
            ]}
            submitLabel={`Connect with ${name}`}
            busyLabel={`Opening ${name}…`}
            onSubmit={startOAuth}
          />
          <details
            style={{ marginTop: '1rem' }}
            open={tokenFormOpen}
            onToggle={(event) => setTokenFormOpen((event.target as HTMLDetailsElement).open)}
          >
            <summary>Connect with an access token instead</summary>
            {/* Drawn only when open, so the page never holds two fields with the same label out of sight. */}
            {tokenFormOpen ? (
              <>
                <p>If you already hold an access token for {name}, paste it here rather than signing in.</p>
                <JsonSchemaForm
                  key={`${id}-token`}
                  parts={credentialParts}
                  submitLabel={`Connect ${name}`}
                  busyLabel="Checking with the platform…"
                  onSubmit={connectWithCredentials}
                  resetOnSuccess
                />
              </>
            ) : null}
          </details>
        </>
      ) : (
        <>
          <p>
            EnGarde checks these with {name} before saving them; they are stored encrypted and never shown again.
            {guide ? <> The {guideLink} says where to find each one.</> : null}
          </p>
          <JsonSchemaForm
            key={`${id}-credentials`}
            parts={credentialParts}
            submitLabel={`Connect ${name}`}
            busyLabel="Checking with the platform…"
            onSubmit={connectWithCredentials}
            resetOnSuccess
          />
        </>
      )}
    </section>
  );
}
