import { XMLParser } from 'fast-xml-parser';

/**
 * A parsed XML response (Amazon S3, Azure Blob Storage list results). Its fields are the document's elements, read
 * with dotted paths like JSON (`ListBucketResult.Contents`). XML cannot tell one child element from a list of one, so
 * code reading records accepts a single element where a list is expected (see `recordsIn`).
 */
export class XmlBody {
  [element: string]: unknown;
  constructor(fields: Record<string, unknown>) {
    // Defined, not assigned, so no element name can reach a setter (`__proto__`) of the instance.
    for (const [name, value] of Object.entries(fields)) {
      Object.defineProperty(this, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Keep every value as text: ids, ETags and sizes must not turn into numbers that lose digits.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/**
 * Parses an XML body; the XML declaration is dropped.
 * @throws Error (fast-xml-parser's) for a document it refuses: malformed, nested too deep, or an element named
 *   after an Object.prototype member (`__proto__`, `constructor`). The HTTP client turns that into a typed error.
 */
export function parseXmlBody(text: string): XmlBody {
  const { '?xml': _declaration, ...document } = parser.parse(text) as Record<string, unknown>;
  return new XmlBody(document);
}
