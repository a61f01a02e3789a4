/**
 * A worker process for the crash test: runs `slow_task` jobs that never finish, with a fast heartbeat, and prints
 * `started` when it holds one. The test kills it with SIGKILL. Usage: hanging-worker-process.ts <database url>
 */
import { pino } from 'pino';
import { openDatabase } from '../../../src/db/database.js';
import { startWorker } from '../../../src/jobs/worker.js';

const url = process.argv[2];
if (!url) throw new Error('usage: hanging-worker-process.ts <database url>');
const { pool } = openDatabase(url, { max: 4 });
const worker = await startWorker({
  pool,
  taskList: {
    slow_task: async () => {
      process.stdout.write('started\n');
      await new Promise(() => {}); // never ends: only SIGKILL stops this process
    },
  },
  logger: pino({ level: 'silent' }),
  heartbeat: { beatMs: 200, sweepMs: 200, staleMs: 1_000 },
});
process.stdout.write(`ready ${worker.inFlight}\n`);
