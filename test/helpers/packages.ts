/** Packages as test data: written to a Buffer, or read back into arrays of records by kind. */
import { PassThrough } from 'node:stream';
import { PackageInput, writePackage } from '../../functions/fzip/writer';
import { ENTITY_KINDS } from '../../functions/fzip/entities';
import { PlainRecord } from '../../functions/fzip/normalize';

export async function packageBuffer(input: PackageInput): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  await writePackage(input, out);
  return Buffer.concat(parts);
}

/** Every record of an input, by kind (for tests that change some and write the package again). */
export async function materialize(input: PackageInput): Promise<Record<string, PlainRecord[]>> {
  const out: Record<string, PlainRecord[]> = {};
  for (const kind of ENTITY_KINDS) {
    out[kind] = [];
    for await (const r of (input[kind] ?? []) as AsyncIterable<PlainRecord>) out[kind].push(r as PlainRecord);
  }
  return out;
}
