import { getPath } from '../dotted-path.js';
import { AdapterError } from '../errors.js';
import type { EntityConfig } from '../platform-schema.js';
import { type FieldKind, STANDARD_FIELDS, type StandardRecord } from './standard-entities.js';

/** A raw value that cannot become its standard field; names the platform, entity, field and raw path. */
export class NormalizationError extends AdapterError {
  override readonly name: string = 'NormalizationError';
  readonly field: string;
  readonly path: string;
  constructor(where: string, field: string, path: string, problem: string) {
    super(`${where}: standard field "${field}" from raw "${path}": ${problem}`);
    this.field = field;
    this.path = path;
  }
}

/** ISO 4217 currencies whose minor unit is not 1/100 (all others have two decimals). */
const CURRENCY_EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Digits after the decimal point in a currency's major unit. */
export function currencyExponent(currency: string): number {
  return CURRENCY_EXPONENTS[currency.toUpperCase()] ?? 2;
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** `1050` minor units of USD → `"10.50"`; of JPY → `"1050"`. Exact: integer arithmetic on the digits. */
export function minorToDecimal(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(-exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

function toDecimal(value: unknown, exponent: number | undefined): string | undefined {
  const text =
    typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : typeof value === 'string'
        ? value.trim()
        : undefined;
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  if (exponent === undefined) return text;
  const [whole, fraction = ''] = text.split('.');
  if (fraction.length > exponent) return text; // never round money away
  return exponent === 0 ? (whole as string) : `${whole}.${fraction.padEnd(exponent, '0')}`;
}

function toIsoDate(value: unknown, as: string | undefined): Date | undefined {
  if (as === 'unix-seconds' || as === 'unix-millis') {
    const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
    return new Date(as === 'unix-seconds' ? n * 1000 : n);
  }
  if (typeof value !== 'string') return undefined;
  // Graph API and Salesforce write offsets without a colon (`+0000`); ISO 8601 basic form, which Date.parse lacks.
  // A date-time with no zone at all (WooCommerce `*_gmt`, Insightly) is UTC, never the machine's local time.
  const withColon = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const zoneless = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(withColon);
  const parsed = Date.parse(zoneless ? `${withColon.replace(' ', 'T')}Z` : withColon);
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}

function convert(kind: FieldKind, value: unknown, as: string | undefined, currency: string | undefined): unknown {
  switch (kind) {
    case 'string':
      return typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'bigint'
          ? String(value)
          : undefined;
    case 'number': {
      const n = typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : undefined;
    case 'currency':
      return typeof value === 'string' && /^[A-Za-z]{3}$/.test(value) ? value.toUpperCase() : undefined;
    case 'datetime':
      return toIsoDate(value, as)?.toISOString();
    case 'date': {
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
      return toIsoDate(value, as)?.toISOString().slice(0, 10);
    }
    case 'money': {
      const exponent = currency ? currencyExponent(currency) : undefined;
      if (as === 'minor-units') {
        const minor =
          typeof value === 'number' && Number.isInteger(value)
            ? BigInt(value)
            : typeof value === 'string' && /^-?\d+$/.test(value)
              ? BigInt(value)
              : undefined;
        return minor === undefined || exponent === undefined ? undefined : minorToDecimal(minor, exponent);
      }
      return toDecimal(value, exponent);
    }
  }
}

const EXPECTED: Record<FieldKind, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  currency: 'a three-letter currency code',
  datetime: 'a date-time',
  date: 'a date',
  money: 'an amount',
};

/**
 * Maps one raw record onto its standard entity, as the entity's config declares; the raw record is kept as `raw`.
 * Fields the record lacks are left out, nulls stay null, and a value of the wrong shape is a `NormalizationError`
 * naming the field and its raw path.
 *
 * @example
 * normalizeRecord('stripe', 'customers', meta.entities.customers, { id: 'cus_1', email: 'a@b.c', created: 1767225600 });
 * // { type: 'Customer', platform: 'stripe', id: 'cus_1', email: 'a@b.c', createdAt: '2026-01-01T00:00:00.000Z', raw }
 */
export function normalizeRecord(
  platformId: string,
  entityKey: string,
  config: EntityConfig,
  raw: unknown,
): StandardRecord {
  const where = `${platformId} ${entityKey}`;
  if (!config.standard) throw new AdapterError(`${where}: has no standard entity to normalize into`);
  const fields: Record<string, FieldKind> = STANDARD_FIELDS[config.standard];
  const sources = new Map<string, { path: string; as?: string }>(
    Object.entries(config.mapping).map(([field, source]) => [
      field,
      typeof source === 'string' ? { path: source } : source,
    ]),
  );
  if (!sources.has('id')) sources.set('id', { path: config.idField });
  const currencySource = sources.get('currency');
  const rawCurrency = currencySource ? getPath(raw, currencySource.path) : undefined;
  const currency = typeof rawCurrency === 'string' && /^[A-Za-z]{3}$/.test(rawCurrency) ? rawCurrency : undefined;

  const out: Record<string, unknown> = { type: config.standard, platform: platformId };
  for (const [field, source] of sources) {
    const kind = fields[field] as FieldKind;
    const value = getPath(raw, source.path);
    if (value === undefined) continue;
    if (value === null) {
      out[field] = null;
      continue;
    }
    const converted = convert(kind, value, source.as, currency);
    if (converted === undefined) {
      const needsCurrency = kind === 'money' && source.as === 'minor-units' && !currency;
      const problem = needsCurrency
        ? `minor units need a currency, and "${currencySource?.path}" has none`
        : `expected ${EXPECTED[kind]}${source.as ? ` (${source.as})` : ''}, got ${JSON.stringify(value)}`;
      throw new NormalizationError(where, field, source.path, problem);
    }
    out[field] = converted;
  }
  if (typeof out.id !== 'string' || out.id === '') {
    throw new NormalizationError(where, 'id', sources.get('id')!.path, 'the record has no id');
  }
  out.raw = raw;
  return out as StandardRecord;
}
