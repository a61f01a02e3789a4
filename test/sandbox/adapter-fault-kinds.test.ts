/**
 * The fault kinds the key test leaves out, one platform at a time through the real adapters: stalls (the adapter's
 * timeout fires and it retries), token expiry mid-listing (one refresh), and malformed JSON (must never end a
 * listing early without an error).
 */
import { getAdapterRegistry } from 'engarde';
import { afterEach, describe, expect, it } from 'vitest';
import { getPath } from '../../src/runtime/dotted-path.js';
import {
  EMULATED_PLATFORMS,
  type EmulatorControl,
  type FaultOptions,
  manualClock,
  type OAuthEmulatorControl,
  type RunningEmulator,
  startEmulator,
  withFaults,
} from '../../src/sandbox/index.js';
import { ADAPTER_META, adapterFor, type ExtraOptions } from './adapter-setup.js';

const RECORDS = 12;
const PAGE = 5;
const platforms = Object.keys(EMULATED_PLATFORMS).sort();
const refreshable = platforms.filter((p) => ADAPTER_META[p]!.auth.kind === 'oauth2' && p !== 'meta-ads');

let running: RunningEmulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** Lists the platform's first entity through `faults`; resolves with the ids, or the error that ended the listing. */
async function listThrough(platform: string, faults: FaultOptions, extra: ExtraOptions = {}) {
  const clock = manualClock();
  const meta = ADAPTER_META[platform]!;
  const emulator = EMULATED_PLATFORMS[platform]!.create({
    records: RECORDS,
    apiVersion: meta.apiVersion,
    now: clock.now,
    serverPageSize: PAGE,
  });
  const faulty = withFaults(emulator, faults);
  running = await startEmulator(faulty);
  const entity = getAdapterRegistry().info(platform)!.entities[0]!;
  const adapter = await adapterFor(platform, running, clock, extra);
  const ids: string[] = [];
  let error: Error | undefined;
  try {
    for await (const record of adapter.list(entity as never, { pageSize: PAGE })) {
      ids.push(String(getPath(record, meta.entities[entity]!.idField)));
    }
  } catch (caught) {
    error = caught as Error;
  } finally {
    await adapter.close();
  }
  return { ids, error, control: emulator.control as EmulatorControl, faults: faulty.faults };
}

describe('fault kinds through the adapters', () => {
  it.each(platforms)(
    '%s: a stalled page request times out, is retried, and the listing completes',
    async (platform) => {
      const { ids, error, faults } = await listThrough(
        platform,
        { script: [{ on: 2, fault: 'timeout' }] },
        { timeoutMs: 150 },
      );
      expect(error).toBeUndefined();
      expect(ids).toHaveLength(RECORDS);
      expect(new Set(ids).size).toBe(RECORDS);
      expect(faults.byKind.timeout).toBe(1);
    },
  );

  it.each(platforms)(
    '%s: faults that outlast the retry budget end the listing with a typed error',
    async (platform) => {
      const attempts = ADAPTER_META[platform]!.retry.maxAttempts;
      const script = Array.from({ length: attempts }, (_, i) => ({ on: 2 + i, fault: '503' as const }));
      const { ids, error, faults } = await listThrough(platform, { script });
      expect(error?.name).toBe('ServerError');
      expect((error as Error & { status?: number }).status).toBe(503);
      expect(ids).toHaveLength(PAGE); // the first page, once; nothing after the failed one
      expect(faults.faulted).toBe(attempts);
    },
  );

  it.each(refreshable)('%s: a token that expires mid-listing costs exactly one refresh', async (platform) => {
    const { ids, error, control } = await listThrough(platform, { script: [{ on: 2, fault: 'tokenExpired' }] });
    expect(error).toBeUndefined();
    expect(new Set(ids).size).toBe(RECORDS);
    expect((control as OAuthEmulatorControl).counters.tokenRequests).toBe(1);
  });

  // A 200 whose JSON does not parse is retried like a dropped connection, so the listing completes.
  for (const platform of platforms) {
    it(`${platform}: a malformed JSON page never ends a listing early without an error`, async () => {
      const { ids, error } = await listThrough(platform, { script: [{ on: 2, fault: 'malformedJson' }] });
      if (error === undefined) expect(ids).toHaveLength(RECORDS);
      else expect(error.name).toMatch(/Error$/);
    });
  }
});
