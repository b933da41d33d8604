/**
 * One validation measurement in a fresh process (so peak RSS is its own):
 *   node dist/bench/validation-child.js validator|handing|floor <package.fzip> [auto|always|never]
 * prints {records, bytes, seconds, maxRssMB} (and the validator's threads: 2 when a worker
 * inspected batches of transactions). "validator": the validator alone, as `fzip validate` runs it;
 * "handing": also making each valid record and handing it on, as the import's Validate step
 * does (to a consumer that does nothing with it); [auto|always|never]: its checkThread option.
 * "floor": the fastest way to read the same data regardless of memory — inflate each data file
 * and JSON.parse it whole, no checks.
 */
import '../local/polyfills';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { FileRangeSource } from '../functions/fzip/source';
import { validatePackage } from '../functions/fzip/validator';
import { totalCount } from '../functions/fzip/entities';
import { CheckThread, CheckThreadMode } from '../functions/fzip/check-thread';

async function floor(path: string): Promise<{ records: number; bytes: number }> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  let records = 0;
  let bytes = 0;
  for await (const entry of zip.eachEntry()) {
    if (!entry.fileName.startsWith('data/')) continue;
    const parts: Buffer[] = [];
    for await (const c of await zip.openReadStreamPromise(entry)) parts.push(c as Buffer);
    let data = Buffer.concat(parts);
    if (entry.fileName.endsWith('.gz')) data = zlib.gunzipSync(data);
    bytes += data.length;
    records += (JSON.parse(data.toString('utf8')) as unknown[]).length;
  }
  zip.close();
  return { records, bytes };
}

async function validator(path: string, checkThread: CheckThreadMode, handing: boolean): Promise<{ records: number; bytes: number; threads: number }> {
  const report = await validatePackage(await FileRangeSource.open(path), {
    verifyStatementFiles: true,
    ...(handing ? { onRecord: () => undefined } : {}),
    checkThread,
  });
  if (!report.valid) throw new Error(`benchmark package is invalid: ${report.errors[0]?.message}`);
  const c = report.counts;
  // bytes: the same JSON the floor measures; run.ts takes it from the floor's run
  return { records: totalCount(c), bytes: 0, threads: CheckThread.workerVerdicts > 0 ? 2 : 1 };
}

async function main(): Promise<void> {
  const [mode, path, checkThread = 'auto'] = process.argv.slice(2);
  const t0 = process.hrtime.bigint();
  let out: { records: number; bytes: number };
  try {
    out = mode === 'floor' ? await floor(path) : await validator(path, checkThread as CheckThreadMode, mode === 'handing');
  } catch (err) {
    // The floor cannot hold some data files as one string (V8 caps strings at ~512 MiB).
    process.stdout.write(JSON.stringify({ mode, error: (err as Error).message, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
    return;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ mode, ...out, seconds, maxRssMB }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
