/**
 * Reading Prometheus text exposition in tests: every sample line parsed (a malformed line throws), and the sum of
 * the samples of a metric whose labels include the given ones.
 *
 * @example
 * const samples = parseMetrics(await (await fetch(url)).text());
 * sumOf(samples, 'engarde_platform_requests_total', { platform: 'stripe', status: '200' }); // 3
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key as string] = value as string;
    const raw = match[3] as string;
    // prom-client writes NaN as `Nan`; Prometheus reads either (Go's ParseFloat ignores case).
    const nan = /^nan$/i.test(raw);
    const value = nan ? Number.NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (!nan && Number.isNaN(value)) throw new Error(`not a sample value: ${line}`);
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

/** The sum of those samples (0 when there are none). */
export function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samplesOf(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}
