/**
 * Routes live in the URL fragment (`#/platforms/stripe`), so the server serves one file and every page has an
 * address that can be bookmarked, shared and opened in a new tab.
 */
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'marketplace' }
  | { page: 'platform'; id: string }
  | { page: 'connections' }
  | { page: 'connection'; platform: string; connectionId: string }
  | { page: 'alerts' }
  | { page: 'not-found'; path: string };

/** The route a fragment names. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'marketplace')) return { page: 'marketplace' };
  if (parts[0] === 'platforms' && parts.length === 2) return { page: 'platform', id: parts[1] as string };
  if (parts[0] === 'connections' && parts.length === 1) return { page: 'connections' };
  if (parts[0] === 'connections' && parts.length === 3) {
    return { page: 'connection', platform: parts[1] as string, connectionId: parts[2] as string };
  }
  if (parts[0] === 'alerts' && parts.length === 1) return { page: 'alerts' };
  return { page: 'not-found', path };
}

/** The fragment link of a route. */
export function href(route: Exclude<Route, { page: 'not-found' }>): string {
  switch (route.page) {
    case 'marketplace':
      return '#/marketplace';
    case 'platform':
      return `#/platforms/${encodeURIComponent(route.id)}`;
    case 'connections':
      return '#/connections';
    case 'connection':
      return `#/connections/${encodeURIComponent(route.platform)}/${encodeURIComponent(route.connectionId)}`;
    case 'alerts':
      return '#/alerts';
  }
}

/** Query parameters of the fragment (`#/connections?connected=…`) and of the page URL (an OAuth `?error=`). */
export function routeQuery(): URLSearchParams {
  const inHash = window.location.hash.split('?')[1] ?? '';
  const params = new URLSearchParams(window.location.search);
  for (const [k, v] of new URLSearchParams(inHash)) params.set(k, v);
  return params;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
