/** The tenant API key for this browser tab: kept in session storage (gone when the tab closes), never elsewhere. */
const KEY = 'engarde.tenantApiKey';

export function storedApiKey(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeApiKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetApiKey(): void {
  sessionStorage.removeItem(KEY);
}
