/**
 * The size DynamoDB counts for an item, computed from a plain record, so the validator can
 * refuse a record that would be refused at write time ("Item size has exceeded the maximum
 * allowed size") instead of failing an import half-way. Rules of the DynamoDB developer guide:
 * attribute names and strings count their UTF-8 bytes, numbers about one byte per two
 * significant digits plus one, booleans and null one byte, lists and maps three bytes plus one
 * byte per element.
 */

/** DynamoDB's item size limit. */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;

function numberSize(n: number): number {
  const digits = String(Math.abs(n))
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.min(21, Math.ceil(Math.max(1, digits.length) / 2) + 1);
}

export function attributeValueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return numberSize(value);
  if (typeof value === 'bigint') return Math.min(21, Math.ceil(value.toString().length / 2) + 1);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    let size = 3;
    for (const v of value) size += 1 + attributeValueSize(v);
    return size;
  }
  if (typeof value === 'object') {
    let size = 3;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) size += 1 + Buffer.byteLength(k, 'utf8') + attributeValueSize(v);
    return size;
  }
  return 0;
}

/** Size of a top-level item: each attribute's name plus its value. */
export function dynamoItemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [k, v] of Object.entries(item)) {
    if (v === undefined) continue;
    size += Buffer.byteLength(k, 'utf8') + attributeValueSize(v);
  }
  return size;
}
