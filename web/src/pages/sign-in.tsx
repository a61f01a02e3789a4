/** Sign in by pasting a tenant API key; the key is checked against the API before the page opens. */
import { type FormEvent, useId, useState } from 'react';
import { ApiProblem, api, ok } from '../api/client';
import { forgetApiKey, storeApiKey } from '../api/session';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  const fieldId = useId();
  const errorId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setMessage('Paste the tenant API key your administrator gave you.');
      return;
    }
    setBusy(true);
    setMessage(undefined);
    storeApiKey(trimmed);
    try {
      await ok(api.GET('/integrations/connections', { params: { query: { limit: 1 } } }));
      onSignedIn();
    } catch (error) {
      forgetApiKey();
      setMessage(
        error instanceof ApiProblem && error.status === 401
          ? 'That key was not accepted. Check that you pasted the whole key (it starts with "egk_") and that it has not been revoked.'
          : `The service could not be reached: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <h1 tabIndex={-1}>Sign in to EnGarde</h1>
      <p>Paste your tenant API key. It stays in this browser tab only and is forgotten when the tab closes.</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor={fieldId}>Tenant API key</label>
        <input
          id={fieldId}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? errorId : undefined}
        />
        {message ? (
          <p id={errorId} className="field-error" role="alert">
            {message}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
