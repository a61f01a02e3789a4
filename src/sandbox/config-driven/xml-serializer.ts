/**
 * Answers as XML for platforms whose API speaks it (Amazon S3, Azure Blob Storage): an object body becomes elements
 * named by its keys, arrays become repeated elements, scalars become text. The config's record and token paths name
 * the elements (`ListBucketResult.Contents`), so the same body built for a JSON answer serializes to the document
 * the platform sends.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function element(name: string, value: unknown): string {
  if (!NAME.test(name)) throw new Error(`"${name}" cannot be an XML element name`);
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (value === null || value === undefined) return `<${name}/>`;
  if (typeof value === 'object') {
    const children = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => element(k, v))
      .join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeText(String(value))}</${name}>`;
}

/**
 * An XML document from a body with one root element.
 *
 * @example
 * toXml({ ListBucketResult: { Contents: [{ Key: 'a' }, { Key: 'b' }], IsTruncated: false } });
 * // '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Contents><Key>a</Key></Contents>…</ListBucketResult>'
 */
export function toXml(body: unknown): string {
  const entries = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.entries(body) : [];
  if (entries.length !== 1) throw new Error('an XML answer needs exactly one root element');
  const [[root, value]] = entries as [[string, unknown]];
  return `<?xml version="1.0" encoding="UTF-8"?>${element(root, value)}`;
}
