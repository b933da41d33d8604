/**
 * npm run bench [-- --sizes 10000,100000,1000000 --runs 3 --import 100000 --e2e 100000 --reimport 100000 --export 100000 --analytics 1000000 --check]
 * Measures each figure beside its floor in the same run (fresh processes), reports medians and
 * ratios as a markdown table. --check fails (exit 1) only on generous bounds, for CI.
 */
import '../local/polyfills';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writePackageFile } from '../functions/fzip/writer';
import { syntheticPackage } from '../cli/synthetic-package';
import { FileRangeSource, RangeSource } from '../functions/fzip/source';
import { validatePackage } from '../functions/fzip/validator';
import { Readable } from 'node:stream';
import { MeasuredImport, PRICE_DATE, PRICE_REGION, costTable, costTableMarkdown } from './cost-model';

/** A source that counts its reads, as S3 counts GETs. */
class CountingSource implements RangeSource {
  reads = 0;
  constructor(private readonly inner: RangeSource) {}
  get name(): string {
    return this.inner.name;
  }
  get size(): number {
    return this.inner.size;
  }
  readRange(start: number, end: number): Readable {
    this.reads++;
    return this.inner.readRange(start, end);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const child = (script: string, args: string[]) =>
  JSON.parse(execFileSync(process.execPath, [join(__dirname, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop() as string);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      runs: { type: 'string' },
      import: { type: 'string' },
      e2e: { type: 'string' },
      export: { type: 'string' },
      analytics: { type: 'string' },
      reimport: { type: 'string' },
      check: { type: 'boolean' },
    },
  });
  const sizes = (values.sizes ?? '10000,100000,1000000').split(',').map(Number);
  const runs = Number(values.runs ?? 3);
  const cache = join(tmpdir(), 'fzip-bench-packages');
  mkdirSync(cache, { recursive: true });
  const lines: string[] = [];
  const out = (s: string) => {
    console.log(s);
    lines.push(s);
  };
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; median of ${runs} run(s)\n`);
  out('| validation | records | JSON MB | threads | validator rec/s | floor rec/s (1 thread) | ratio | validator MB/s | floor MB/s | validator peak RSS | floor peak RSS |');
  out('|---|---|---|---|---|---|---|---|---|---|---|');
  const results: Array<Record<string, number>> = [];
  // Where the floor cannot hold a package (V8's largest string), its rate per record at the
  // largest size it could hold stands in: the same work per record. Validator and floor runs
  // alternate (a stand-in floor included), so a machine whose speed drifts during the run
  // weighs on both alike.
  let largestFloor: { n: number; file: string; records: number } | undefined;
  for (const n of sizes) {
    const file = join(cache, `bench-${n}.fzip`);
    if (!existsSync(file)) await writePackageFile(syntheticPackage({ transactions: n, seed: 1 }), file);
    const v: Array<{ records: number; seconds: number; maxRssMB: number; threads: number }> = [];
    const f: Array<{ records: number; bytes: number; seconds: number; maxRssMB: number; error?: string }> = [];
    let floorError: string | undefined;
    for (let i = 0; i < runs; i++) {
      v.push(child('validation-child.js', ['validator', file]));
      let fl = child('validation-child.js', ['floor', floorError && largestFloor ? largestFloor.file : file]);
      if (fl.error && !floorError) {
        floorError = fl.error;
        if (largestFloor) fl = child('validation-child.js', ['floor', largestFloor.file]);
      }
      if (!fl.error) f.push(fl);
    }
    const records = v[0].records;
    const floorFailed = floorError !== undefined;
    const vs = median(v.map((x) => x.seconds));
    const fs = f.length ? median(f.map((x) => x.seconds)) : NaN;
    const mb = floorFailed ? NaN : f[0].bytes / 1e6;
    if (!floorFailed && (!largestFloor || n > largestFloor.n)) largestFloor = { n, file, records };
    // per record: a stand-in floor ran on the largest package it could hold
    const fRate = f.length ? f[0].records / fs : NaN;
    const fRss = floorFailed ? NaN : median(f.map((x) => x.maxRssMB));
    const r = { n, records, vRate: records / vs, fRate, ratio: (records / vs) / fRate, vRss: median(v.map((x) => x.maxRssMB)), fRss };
    results.push(r);
    const floorNote = floorFailed && largestFloor ? ` (per record at ${largestFloor.n.toLocaleString('en')} tx, run alongside)` : '';
    const row = (label: string, runsOf: Array<{ seconds: number; maxRssMB: number; threads: number }>) => {
      const seconds = median(runsOf.map((x) => x.seconds));
      const rate = records / seconds;
      out(
        `| ${label} | ${records} | ${floorFailed ? '—' : mb.toFixed(0)} | ${Math.max(...runsOf.map((x) => x.threads))} | ${Math.round(rate)} | ${Math.round(fRate)}${floorNote} | ${((rate / fRate) * 100).toFixed(0)}% | ${floorFailed ? '—' : (mb / seconds).toFixed(1)} | ${floorFailed ? '—' : (mb / fs).toFixed(1)} | ${median(runsOf.map((x) => x.maxRssMB)).toFixed(0)} MB | ${floorFailed ? 'fails' : `${r.fRss.toFixed(0)} MB`} |`,
      );
    };
    row(`${n.toLocaleString('en')} tx`, v);
    // At 100k, the same validation on one thread, and handing each record on as the import's Validate step does.
    if (n === 100000) {
      row(`${n.toLocaleString('en')} tx, one thread (checkThread never)`, Array.from({ length: runs }, () => child('validation-child.js', ['validator', file, 'never'])));
      row(`${n.toLocaleString('en')} tx, handing each record on (the Validate step)`, Array.from({ length: runs }, () => child('validation-child.js', ['handing', file])));
    }
    if (floorFailed) out(`|  | the floor could not run: ${floorError} | | | | | | | | | |`);
  }
  if (results.length > 1) {
    const [first, last] = [results[0], results[results.length - 1]];
    out(`\nvalidator peak RSS from ${first.n.toLocaleString('en')} to ${last.n.toLocaleString('en')} tx: ${first.vRss.toFixed(0)} → ${last.vRss.toFixed(0)} MB (${(((last.vRss - first.vRss) / first.vRss) * 100).toFixed(0)}%)`);
  }
  // LZMA: the same package with every entry recompressed as ZIP method 14.
  const lzmaN = Math.min(100000, Math.max(...sizes));
  const lzmaSource = join(cache, `bench-${lzmaN}.fzip`);
  if (!existsSync(lzmaSource)) await writePackageFile(syntheticPackage({ transactions: lzmaN, seed: 1 }), lzmaSource);
  out(`\n| LZMA (ZIP method 14, ${lzmaN.toLocaleString('en')} tx package) | entries | compressed MB | uncompressed MB | our decoder MB/s | floor: liblzma MB/s | ratio | validator rec/s on the LZMA package |`);
  out('|---|---|---|---|---|---|---|---|');
  const lzmaRatios: number[] = [];
  for (const [label, mode] of [
    ["housef3's layout: gzip data files inside LZMA", 'housef3'],
    ['data files as plain JSON', 'plain'],
  ]) {
    const lz = Array.from({ length: runs }, () => child('lzma-child.js', [lzmaSource, join(cache, `bench-${lzmaN}-lzma-${mode}.fzip`), mode]));
    const oursMBs = lz[0].bytes / 1e6 / median(lz.map((x) => x.oursSeconds));
    const libMBs = lz[0].bytes / 1e6 / median(lz.map((x) => x.liblzmaSeconds));
    lzmaRatios.push(oursMBs / libMBs);
    out(
      `| ${label} | ${lz[0].entries} | ${(lz[0].compressedBytes / 1e6).toFixed(1)} | ${(lz[0].bytes / 1e6).toFixed(1)} | ${oursMBs.toFixed(1)} | ${libMBs.toFixed(1)} | ${((oursMBs / libMBs) * 100).toFixed(0)}% | ${Math.round(lz[0].records / median(lz.map((x) => x.validateSeconds)))} |`,
    );
  }
  const lzmaRatio = Math.min(...lzmaRatios);
  const importN = Number(values.import ?? Math.min(100000, sizes[sizes.length - 1]));
  const imp = Array.from({ length: runs }, () => child('import-child.js', [String(importN)]));
  const phaseRate = median(imp.map((x) => x.phaseItemsPerSec));
  const floorRate = median(imp.map((x) => x.floorItemsPerSec));
  out('\n| import (transactions phase, dynalite) | items | phase items/s | floor items/s | ratio |');
  out('|---|---|---|---|---|');
  out(`| 4 chunks × 4 batches in flight | ${importN} | ${Math.round(phaseRate)} | ${Math.round(floorRate)} | ${((phaseRate / floorRate) * 100).toFixed(0)}% |`);
  const e2eN = Number(values.e2e ?? importN);
  const e2e = child('e2e-child.js', [String(e2eN)]);
  out(`\n| end to end (${e2eN.toLocaleString('en')} transactions, local REST API to completed) | seconds | share |`);
  out('|---|---|---|');
  out(`| wall time | ${e2e.wallSeconds.toFixed(1)} | 100% |`);
  for (const [phase, s] of Object.entries(e2e.phases as Record<string, number>)) {
    out(`| ${phase} | ${s.toFixed(1)} | ${((s / e2e.wallSeconds) * 100).toFixed(0)}% |`);
  }
  // The same backup twice: the second import against a check (validateOnly) of the same package.
  const reimportN = Number(values.reimport ?? e2eN);
  const re = child('reimport-child.js', [String(reimportN)]);
  out(`\n| the same backup twice (${reimportN.toLocaleString('en')} transactions, local REST API) | seconds | against the check | items rewritten | journal parts |`);
  out('|---|---|---|---|---|');
  out(`| first import | ${re.firstSeconds.toFixed(1)} | | | |`);
  out(`| check of the same package (validateOnly) | ${re.validateSeconds.toFixed(1)} | 1.00 | | |`);
  out(`| second import of it | ${re.reimportSeconds.toFixed(1)} | ${re.ratio.toFixed(2)} | ${re.rewritten} of ${re.items.toLocaleString('en')} | ${re.journalParts} |`);
  const exportN = Number(values.export ?? importN);
  const ex = child('export-child.js', [String(exportN)]);
  out(`\n| export (${exportN.toLocaleString('en')} transactions, dynalite + s3rver) | records/s | floor: plain Query records/s | ratio | package | peak RSS (base before export) |`);
  out('|---|---|---|---|---|---|');
  out(
    `| 16 shards staged 4 at a time, package streamed to a multipart upload | ${Math.round(ex.exportRecordsPerSec)} | ${Math.round(ex.floorRecordsPerSec)} | ${((ex.exportRecordsPerSec / ex.floorRecordsPerSec) * 100).toFixed(0)}% | ${(ex.packageBytes / 1e6).toFixed(1)} MB | ${ex.peakRssMB.toFixed(0)} MB (${ex.baseRssMB.toFixed(0)} MB) |`,
  );
  const analyticsN = Number(values.analytics ?? Math.max(...sizes));
  const an = child('analytics-child.js', [String(analyticsN)]);
  out(`\n| analytics (${analyticsN.toLocaleString('en')} transactions of one user, dynalite) | seconds | transactions read | months published | peak RSS (base) |`);
  out('|---|---|---|---|---|');
  const rss = `${an.fullPeakRssMB.toFixed(0)} MB (${an.baseRssMB.toFixed(0)} MB)`;
  out(`| full rebuild (16 shards) | ${an.fullSeconds.toFixed(1)} | ${an.fullRead.toLocaleString('en')} | ${an.fullMonths} | ${rss} |`);
  out(
    `| an import touching 2 months: those months recomputed${an.touchedIncremental ? '' : ' (FELL BACK TO FULL)'} | ${an.touchedSeconds.toFixed(2)} | ${an.touchedRead.toLocaleString('en')} (the 2 months hold ${an.touchedInMonths.toLocaleString('en')}) | ${an.fullMonths} | ${an.touchedPeakRssMB.toFixed(0)} MB |`,
  );
  out(`| figures after the 2-month recompute equal a full rebuild's | ${an.equal ? 'yes' : 'NO'} | | | |`);
  // What an import costs on AWS: the end-to-end run's counted operations at list prices (bench/cost-model.ts).
  const measured = e2e.costs as MeasuredImport;
  const costs = costTable(measured);
  out(`\nWhat an import costs on AWS: on-demand tables, ${PRICE_REGION} list prices of ${PRICE_DATE}, operations counted in the ${e2eN.toLocaleString('en')}-transaction end-to-end run above and scaled per transaction.\n`);
  for (const line of costTableMarkdown(measured, costs)) out(line);
  // S3 round trips: reads of the source while validating a package of 5,000 statement files
  // (each read would be one ranged GET against S3), beside the package's entry count.
  const manyFiles = join(cache, 'bench-5000-files.fzip');
  if (!existsSync(manyFiles)) await writePackageFile(syntheticPackage({ transactions: 10000, accounts: 3, files: 5000, seed: 2 }), manyFiles);
  const counted = new CountingSource(await FileRangeSource.open(manyFiles));
  const report = await validatePackage(counted);
  const entries = report.counts.statementFiles + 6;
  out('\n| S3 round trips (validating a package of 5,000 statement files) | entries | package | reads of the source (= ranged GETs) |');
  out('|---|---|---|---|');
  out(`| coalesced reads (1 MiB blocks) | ${entries} | ${(counted.size / 1e6).toFixed(1)} MB | ${counted.reads} |`);
  mkdirSync(join(__dirname, '..', '..', 'bench', 'results'), { recursive: true });
  writeFileSync(join(__dirname, '..', '..', 'bench', 'results', 'latest.md'), lines.join('\n') + '\n');
  if (values.check) {
    // Generous bounds: catch breakage, not noise.
    const bad = results.filter((r) => (Number.isFinite(r.ratio) && r.ratio < 0.05) || r.vRss > 512);
    const analyticsWrong = !an.equal || !an.touchedIncremental || an.touchedRead !== an.touchedInMonths;
    const costWrong = !(costs.total[0] > 0); // the cost table priced something
    const exportWrong = ex.records !== exportN || ex.peakRssMB > 1024;
    const reimportWrong = re.rewritten !== 0 || re.journalParts !== 0 || re.unchanged !== re.items || re.ratio > 3;
    if (bad.length || phaseRate / floorRate < 0.2 || lzmaRatio < 0.1 || exportWrong || counted.reads > entries / 10 || analyticsWrong || costWrong || reimportWrong) {
      console.error('benchmark out of bounds');
      process.exit(1);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
