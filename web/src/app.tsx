/** The page: sign-in, then the marketplace, connections and alerts, routed by the URL fragment. */
import { useEffect, useRef, useState } from 'react';
import { forgetApiKey, storedApiKey } from './api/session';
import { Alerts } from './pages/alerts';
import { ConnectionPage } from './pages/connection';
import { Connections } from './pages/connections';
import { Marketplace } from './pages/marketplace';
import { PlatformPage } from './pages/platform';
import { SignIn } from './pages/sign-in';
import { href, type Route, useRoute } from './router';

const TITLES: Record<Route['page'], string> = {
  marketplace: 'Marketplace',
  platform: 'Integration',
  connections: 'Connections',
  connection: 'Connection',
  alerts: 'Alerts',
  'not-found': 'Not found',
};

export function App() {
  const [signedIn, setSignedIn] = useState(() => storedApiKey() !== undefined);
  const route = useRoute();
  const firstRender = useRef(true);

  useEffect(() => {
    document.title = `${TITLES[route.page]} — EnGarde`;
    // Move focus to the new page's heading after navigation (not on first load), so keyboard and screen-reader
    // users land on the content.
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route]);

  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;

  const current = (page: Route['page']) => (route.page === page ? 'page' : undefined);
  return (
    <>
      {/* A button, not a link to "#main": the fragment is the router's. It moves focus to the content. */}
      <button
        type="button"
        className="skip-link"
        onClick={() => {
          const main = document.getElementById('main');
          if (!main) return;
          main.tabIndex = -1;
          main.focus();
        }}
      >
        Skip to content
      </button>
      <header className="site-header">
        <span className="brand">EnGarde</span>
        <nav aria-label="Main">
          <ul>
            <li>
              <a href={href({ page: 'marketplace' })} aria-current={current('marketplace')}>
                Marketplace
              </a>
            </li>
            <li>
              <a href={href({ page: 'connections' })} aria-current={current('connections')}>
                Connections
              </a>
            </li>
            <li>
              <a href={href({ page: 'alerts' })} aria-current={current('alerts')}>
                Alerts
              </a>
            </li>
          </ul>
        </nav>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            forgetApiKey();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      {route.page === 'marketplace' ? <Marketplace /> : null}
      {route.page === 'platform' ? <PlatformPage id={route.id} /> : null}
      {route.page === 'connections' ? <Connections /> : null}
      {route.page === 'connection' ? (
        <ConnectionPage platform={route.platform} connectionId={route.connectionId} />
      ) : null}
      {route.page === 'alerts' ? <Alerts /> : null}
      {route.page === 'not-found' ? (
        <main id="main">
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            Nothing lives at {route.path}. Go to the <a href={href({ page: 'marketplace' })}>marketplace</a>.
          </p>
        </main>
      ) : null}
    </>
  );
}
