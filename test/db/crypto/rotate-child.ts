/**
 * A separate process running `rotateKeys` one row per batch, for the kill -9 test: it prints a line after each
 * committed batch (and pauses `ROTATE_DELAY_MS` there), so the parent can kill it mid-run.
 *
 * Usage: `ENGARDE_ENCRYPTION_KEYS=… node --import tsx test/db/crypto/rotate-child.ts <database url>`
 */
import { setTimeout as delay } from 'node:timers/promises';
import { parseKeyRing } from '../../../src/db/crypto/key-ring.js';
import { rotateKeys } from '../../../src/db/crypto/key-rotation.js';
import { openDatabase } from '../../../src/db/database.js';

const url = process.argv[2];
if (!url) throw new Error('usage: rotate-child.ts <database url>');
const ring = parseKeyRing(process.env.ENGARDE_ENCRYPTION_KEYS ?? '');
const pauseMs = Number(process.env.ROTATE_DELAY_MS ?? '0');
const { db, close } = openDatabase(url, { max: 2 });
try {
  const result = await rotateKeys(db, ring, {
    batchSize: 1,
    onProgress: async (p) => {
      process.stdout.write(`progress ${p.table} ${p.rotated}\n`);
      if (pauseMs > 0) await delay(pauseMs);
    },
  });
  process.stdout.write(`done ${JSON.stringify(result.tables)}\n`);
} finally {
  await close();
}
