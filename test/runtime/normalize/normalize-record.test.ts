import { describe, expect, it } from 'vitest';
import {
  minorToDecimal,
  NormalizationError,
  normalizeRecord,
} from '../../../src/runtime/normalize/normalize-record.js';
import { type EntityConfig, entitySchema } from '../../../src/runtime/platform-schema.js';

function entity(standard: string, mapping: Record<string, unknown>, idField = 'id'): EntityConfig {
  return entitySchema.parse({
    path: '/things',
    recordsPath: 'data',
    idField,
    incremental: { kind: 'none', reason: 'test' },
    standard,
    mapping,
    fields: { id: 'string' },
    description: 'Test entity.',
  });
}

/** A normalized record's fields, whatever its standard type. */
const fieldsOf = (record: object) => record as Record<string, unknown>;

describe('normalizeRecord', () => {
  it.each([
    ['USD cents', 1050, 'usd', '10.50'],
    ['JPY, a zero-decimal currency', 1050, 'jpy', '1050'],
    ['KWD, a three-decimal currency', 1050, 'kwd', '1.050'],
    ['a negative amount', -5, 'eur', '-0.05'],
    ['an amount past 2^53 without rounding', '900719925474099312', 'usd', '9007199254740993.12'],
  ])('converts minor units: %s', (_name, amount, currency, want) => {
    const config = entity('Payment', { amount: { path: 'amount', as: 'minor-units' }, currency: 'currency' });
    expect(fieldsOf(normalizeRecord('p', 'payments', config, { id: 'x', amount, currency })).amount).toBe(want);
  });

  it.each([
    ['unix seconds', { path: 'created', as: 'unix-seconds' }, 1767225600, '2026-01-01T00:00:00.000Z'],
    ['unix milliseconds', { path: 'created', as: 'unix-millis' }, 1767225600000, '2026-01-01T00:00:00.000Z'],
    ['ISO 8601 with Z', 'created', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z'],
    [
      'an offset without a colon (Graph API, Salesforce)',
      'created',
      '2026-01-01T01:00:00+0100',
      '2026-01-01T00:00:00.000Z',
    ],
    ['milliseconds and an offset', 'created', '2026-01-01T00:00:00.000+0000', '2026-01-01T00:00:00.000Z'],
    ['no zone at all, read as UTC (WooCommerce *_gmt)', 'created', '2026-01-01T00:00:00', '2026-01-01T00:00:00.000Z'],
    ['a space instead of T and no zone', 'created', '2026-01-01 00:00:00', '2026-01-01T00:00:00.000Z'],
  ])('converts date-times: %s', (_name, source, value, want) => {
    const config = entity('Customer', { createdAt: source });
    expect(normalizeRecord('p', 'customers', config, { id: 'x', created: value }).createdAt).toBe(want);
  });

  it('keeps the raw record, names the platform and takes the id from the entity id field', () => {
    const raw = { Id: '003A', Email: 'a@example.com' };
    const out = normalizeRecord('salesforce', 'contacts', entity('Contact', { email: 'Email' }, 'Id'), raw);
    expect(out).toEqual({ type: 'Contact', platform: 'salesforce', id: '003A', email: 'a@example.com', raw });
    expect(out.raw).toBe(raw);
  });

  it('reads nested paths and stringifies numeric ids', () => {
    const config = entity('Campaign', { id: 'campaign.id', name: 'campaign.name' });
    expect(normalizeRecord('g', 'campaigns', config, { campaign: { id: 42, name: 'Spring' } })).toMatchObject({
      id: '42',
      name: 'Spring',
    });
  });

  it('leaves out fields the record lacks and keeps nulls as null', () => {
    const out = normalizeRecord('p', 'customers', entity('Customer', { email: 'email', phone: 'phone' }), {
      id: 'x',
      phone: null,
    });
    expect('email' in out).toBe(false);
    expect(fieldsOf(out).phone).toBeNull();
  });

  it('upper-cases currency codes and pads major-unit amounts to the currency', () => {
    const out = normalizeRecord('s', 'orders', entity('Order', { total: 'total_price', currency: 'currency' }), {
      id: 'x',
      total_price: '10.5',
      currency: 'usd',
    });
    expect(out).toMatchObject({ total: '10.50', currency: 'USD' });
  });

  it.each([
    [
      'a date-time that does not parse',
      { createdAt: 'created' },
      { created: 'yesterday' },
      'p customers: standard field "createdAt" from raw "created": expected a date-time, got "yesterday"',
    ],
    [
      'a number field holding text',
      { quantity: 'available' },
      { available: 'lots' },
      'p customers: standard field "quantity" from raw "available": expected a number, got "lots"',
    ],
  ])('rejects %s, naming the field and its raw path', (_name, mapping, fields, message) => {
    const standard = 'quantity' in mapping ? 'Inventory' : 'Customer';
    const run = () => normalizeRecord('p', 'customers', entity(standard, mapping), { id: 'x', ...fields });
    expect(run).toThrow(NormalizationError);
    expect(run).toThrow(message);
  });

  it('rejects a record without an id', () => {
    expect(() => normalizeRecord('p', 'customers', entity('Customer', {}), { email: 'a' })).toThrow(
      'p customers: standard field "id" from raw "id": the record has no id',
    );
  });

  it('formats minor units exactly', () => {
    expect(minorToDecimal(7n, 2)).toBe('0.07');
  });
});
