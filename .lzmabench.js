const { lzma } = require('@napi-rs/lzma');
const { Readable } = require('node:stream');
const { ZipLzmaDecompressStream } = require('/work/main/dist/functions/fzip/lzma/lzma-decoder');
const text = Buffer.from(Array.from({ length: 300000 }, (_, i) => `{"transactionId":"e0000000-0000-4000-8000-${String(i).padStart(12,'0')}","description":"TESCO STORES ${i % 37}","amount":"-${i}.50","date":${1704067200000 + i * 1000}}`).join(','));
const alone = lzma.compressSync(text);
const body = Buffer.concat([Buffer.from([9, 4, 5, 0]), alone.subarray(0, 5), alone.subarray(13)]);
(async () => {
  let t = process.hrtime.bigint();
  for (let i = 0; i < 3; i++) lzma.decompressSync(alone);
  const lib = Number(process.hrtime.bigint() - t) / 3e9;
  t = process.hrtime.bigint();
  for (let i = 0; i < 3; i++) {
    const parts = []; for (let j = 0; j < body.length; j += 65536) parts.push(body.subarray(j, j + 65536));
    let n = 0; for await (const c of Readable.from(parts).pipe(new ZipLzmaDecompressStream({ uncompressedSize: text.length, hasEndMarker: true, maxDictSize: 256 << 20 }))) n += c.length;
  }
  const ours = Number(process.hrtime.bigint() - t) / 3e9;
  console.log(`text ${(text.length/1e6).toFixed(1)} MB compressed ${(alone.length/1e6).toFixed(2)} MB; liblzma ${(text.length/1e6/lib).toFixed(1)} MB/s; ours ${(text.length/1e6/ours).toFixed(1)} MB/s; ratio ${(lib/ours*100).toFixed(0)}%`);
})();
