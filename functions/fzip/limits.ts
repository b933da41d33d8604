/**
 * Every bound the reader and validator enforce, in one place. A deployment or a test can
 * override any of them; the defaults suit packages written by housef3 for one user.
 */
export interface FzipLimits {
  /** Size of the package (the ZIP or JSON document) as uploaded. */
  maxPackageBytes: number;
  /** Number of entries in the ZIP central directory. */
  maxEntries: number;
  /** Uncompressed size of one ZIP entry. */
  maxEntryBytes: number;
  /** Sum of the uncompressed sizes of all entries. */
  maxTotalUncompressedBytes: number;
  /** Uncompressed / compressed, for entries above `ratioCheckMinBytes`. */
  maxCompressionRatio: number;
  ratioCheckMinBytes: number;
  /** A data file after gunzip (data/*.json.gz holds gzip inside the ZIP). */
  maxDataFileBytes: number;
  /** manifest.json. */
  maxManifestBytes: number;
  /** One record (one element of a data file's array) as JSON text. */
  maxRecordBytes: number;
  /** Nesting depth inside one record. */
  maxRecordDepth: number;
  /** Records per entity (transactions). */
  maxRecordsPerEntity: number;
  /** Records of each reference entity (accounts, categories, file maps, transaction files): the
   * validator keeps their ids and parents in memory to check references, so they are bounded lower. */
  maxReferenceRecords: number;
  /** A record, stored as a DynamoDB item with the importer's keys and attributes, must fit this. */
  maxStoredItemBytes: number;
  /** Room kept in every item for what the importer adds (user, import, keys, rewritten s3Key). */
  storedItemReserveBytes: number;
  /** Length of a ZIP entry name in bytes. */
  maxEntryNameBytes: number;
  /** Largest LZMA dictionary we agree to allocate (method 14). */
  maxLzmaDictBytes: number;
  /** How many errors / warnings the report lists (the totals are always counted). */
  maxReportedIssues: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<FzipLimits> = Object.freeze({
  maxPackageBytes: 500 * MiB,
  maxEntries: 20_000,
  maxEntryBytes: 1024 * MiB,
  maxTotalUncompressedBytes: 2048 * MiB,
  maxCompressionRatio: 1000,
  ratioCheckMinBytes: 1 * MiB,
  maxDataFileBytes: 2048 * MiB,
  maxManifestBytes: 1 * MiB,
  maxRecordBytes: 1 * MiB,
  maxRecordDepth: 16,
  maxRecordsPerEntity: 5_000_000,
  maxReferenceRecords: 100_000,
  maxStoredItemBytes: 400 * 1024,
  storedItemReserveBytes: 2048,
  // files/{fileId}/{fileName}: a statement file name may be long (housef3 sets no limit); 1 KiB
  // keeps its storage key {userId}/{fileId}/{fileName} within S3's 1,024 bytes with the checks on fileName
  maxEntryNameBytes: 1024,
  maxLzmaDictBytes: 256 * MiB,
  maxReportedIssues: 100,
});

export function resolveLimits(overrides?: Partial<FzipLimits>): FzipLimits {
  return { ...DEFAULT_LIMITS, ...(overrides ?? {}) };
}
