/**
 * Webhook subscriptions through a platform's API, from its config: the body template, the id and secret read from
 * the answer, one subscription per event where the platform takes one at a time.
 */
import { describe, expect, it } from 'vitest';
import {
  type ApiWebhookRegistration,
  fillWebhookBody,
  subscribeWebhook,
} from '../../../src/runtime/webhooks/webhook-subscriptions.js';

const ENDPOINT = 'https://engarde.example/webhooks/x/all?endpoint=1';

describe('fillWebhookBody', () => {
  it.each([
    ['"{events}" becomes the array', { enabled_events: '{events}' }, { enabled_events: ['a', 'b'] }],
    ['placeholders inside strings', { url: 'hook={endpointUrl}' }, { url: `hook=${ENDPOINT}` }],
    [
      'nested objects and arrays',
      { config: { url: '{endpointUrl}' }, list: ['{secret}'] },
      { config: { url: ENDPOINT }, list: ['s3cr3t'] },
    ],
    ['other values as they are', { active: true, n: 1, none: null }, { active: true, n: 1, none: null }],
  ])('%s', (_name, template, want) => {
    expect(fillWebhookBody(template, { endpointUrl: ENDPOINT, events: ['a', 'b'], secret: 's3cr3t' })).toEqual(want);
  });

  it('refuses a placeholder that has no value, naming it', () => {
    expect(() => fillWebhookBody({ topic: '{event}' }, { endpointUrl: ENDPOINT, events: [] })).toThrow(/\{event\}/);
  });
});

function registration(overrides: Partial<ApiWebhookRegistration>): ApiWebhookRegistration {
  return {
    kind: 'api',
    method: 'POST',
    path: '/hooks',
    body: { url: '{endpointUrl}', events: '{events}' },
    encoding: 'json',
    perEvent: false,
    idPath: 'id',
    itemPath: '/hooks/{webhookId}',
    secret: { from: 'response', path: 'secret' },
    docsUrl: 'https://example.com/docs',
    ...overrides,
  } as ApiWebhookRegistration;
}

describe('subscribeWebhook', () => {
  it('reads the id and the secret from the answer (Stripe)', async () => {
    const sent: unknown[] = [];
    const made = await subscribeWebhook(registration({}), { endpointUrl: ENDPOINT, events: ['a'] }, async (r) => {
      sent.push(r.body);
      return { body: { id: 'we_1', secret: 'whsec_1' }, headers: {} };
    });
    expect(made).toEqual({ ids: ['we_1'], secret: 'whsec_1' });
    expect(sent).toEqual([{ url: ENDPOINT, events: ['a'] }]);
  });

  it('generates a secret and sends it (GitHub)', async () => {
    const sent: Array<{ config: { secret: string } }> = [];
    const made = await subscribeWebhook(
      registration({ body: { config: { url: '{endpointUrl}', secret: '{secret}' } }, secret: { from: 'generated' } }),
      { endpointUrl: ENDPOINT, events: ['push'] },
      async (r) => {
        sent.push(r.body as { config: { secret: string } });
        return { body: { id: 12 }, headers: {} };
      },
    );
    expect(made.ids).toEqual(['12']);
    expect(made.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(sent[0]?.config.secret).toBe(made.secret);
  });

  it('makes one subscription per event and signs with the OAuth client secret (Shopify)', async () => {
    const topics: string[] = [];
    let next = 100;
    const made = await subscribeWebhook(
      registration({
        body: { webhook: { topic: '{event}', address: '{endpointUrl}' } },
        perEvent: true,
        idPath: 'webhook.id',
        secret: { from: 'client-secret' },
      }),
      { endpointUrl: ENDPOINT, events: ['orders/create', 'orders/updated'], clientSecret: 'shpss_app' },
      async (r) => {
        topics.push((r.body as { webhook: { topic: string } }).webhook.topic);
        next += 1;
        return { body: { webhook: { id: next } }, headers: {} };
      },
    );
    expect(topics).toEqual(['orders/create', 'orders/updated']);
    expect(made).toEqual({ ids: ['101', '102'], secret: 'shpss_app' });
  });

  it('reads the id from a header where the body has none (Help Scout)', async () => {
    const made = await subscribeWebhook(
      registration({
        idPath: undefined,
        idHeader: 'Resource-ID',
        secret: { from: 'generated' },
        body: { url: '{endpointUrl}', secret: '{secret}' },
      }),
      { endpointUrl: ENDPOINT, events: ['convo.created'] },
      async () => ({ body: undefined, headers: { 'resource-id': '1234' } }),
    );
    expect(made.ids).toEqual(['1234']);
  });

  it.each([
    ['no id in the answer', { secret: 'whsec_1' }, /no subscription id at "id"/],
    ['no secret in the answer', { id: 'we_1' }, /no signing secret at "secret"/],
  ])('fails with %s, naming the path', async (_name, answer, message) => {
    await expect(
      subscribeWebhook(registration({}), { endpointUrl: ENDPOINT, events: ['a'] }, async () => ({
        body: answer,
        headers: {},
      })),
    ).rejects.toThrow(message);
  });

  it('removes the subscriptions made before a later one fails, then throws', async () => {
    const undone: string[] = [];
    let calls = 0;
    const attempt = subscribeWebhook(
      registration({
        body: { topic: '{event}', url: '{endpointUrl}' },
        perEvent: true,
        secret: { from: 'client-secret' },
      }),
      { endpointUrl: ENDPOINT, events: ['a', 'b', 'c'], clientSecret: 'x' },
      async () => {
        calls += 1;
        if (calls === 3) throw new Error('422 topic refused');
        return { body: { id: `w${calls}` }, headers: {} };
      },
      async (id) => undone.push(id),
    );
    await expect(attempt).rejects.toThrow('422 topic refused');
    expect(undone).toEqual(['w1', 'w2']);
  });
});
