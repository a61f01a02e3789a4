/** `application/x-www-form-urlencoded` bodies with Stripe-style nested brackets. */

/**
 * Flattens an object into form pairs: nested objects as `metadata[key]=v`, arrays as `items[0][price]=p`.
 * `undefined` is left out; `null` is sent empty (how Stripe-style APIs unset a field); dates as ISO 8601.
 *
 * @example
 * encodeForm({ email: 'a@b.c', metadata: { plan: 'pro' }, items: [{ price: 'p_1' }] });
 * // 'email=a%40b.c&metadata%5Bplan%5D=pro&items%5B0%5D%5Bprice%5D=p_1'
 */
export function encodeForm(body: Readonly<Record<string, unknown>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) appendField(params, key, value, 0);
  return params.toString();
}

function appendField(params: URLSearchParams, key: string, value: unknown, depth: number): void {
  if (depth > 20) throw new TypeError(`form field "${key}" is nested too deeply`);
  if (value === undefined) return;
  if (value === null) {
    params.append(key, '');
  } else if (value instanceof Date) {
    params.append(key, value.toISOString());
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) appendField(params, `${key}[${i}]`, item, depth + 1);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      appendField(params, `${key}[${k}]`, v, depth + 1);
  } else {
    params.append(key, String(value));
  }
}

/**
 * A form body whose object and array values are sent as JSON text, the way the Graph API takes parameters
 * (`special_ad_categories=[]`, `targeting={"geo_locations":…}`); scalars are sent as they are.
 *
 * @example
 * encodeFormJsonValues({ name: 'Spring', special_ad_categories: [] }); // 'name=Spring&special_ad_categories=%5B%5D'
 */
export function encodeFormJsonValues(body: Readonly<Record<string, unknown>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (value === null) params.append(key, '');
    else if (value instanceof Date) params.append(key, value.toISOString());
    else if (typeof value === 'object') params.append(key, JSON.stringify(value));
    else params.append(key, String(value));
  }
  return params.toString();
}
