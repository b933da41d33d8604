/**
 * The job table's key design, shared by the store, the local stack and the CDK stack.
 *  - key: importId
 *  - byUser (userId, uploadedAt): a user's jobs newest first (GET /import)
 *  - byStatus (status, uploadedAt): operations ("what is stuck in processing?")
 *  - byExpiry (expiryPartition, expiresAt): the cleanup job finds expired jobs with a Query
 *    (expiresAt < now) instead of a Scan. One partition value: job creation is far below a
 *    partition's write limit, and the index holds only keys and a few attributes.
 */
export const JOB_TABLE = {
  partitionKey: 'importId',
  ttlAttribute: 'expiresAt',
  byUser: { name: 'byUser', partitionKey: 'userId', sortKey: 'uploadedAt' },
  byStatus: { name: 'byStatus', partitionKey: 'status', sortKey: 'uploadedAt' },
  byExpiry: {
    name: 'byExpiry',
    partitionKey: 'expiryPartition',
    sortKey: 'expiresAt',
    partitionValue: 'job',
    projected: ['userId', 'status', 'packageS3Key', 'validateOnly'],
  },
} as const;

/**
 * The export table (exports are not imports: their own table keeps GET /import and GET /export
 * apart and their items small): key exportId; byUser (userId, createdAt) for GET /export;
 * byExpiry as for jobs, for the cleanup. Like the job table it holds one `user#{userId}` item
 * per user with the user's unfinished export ids (an exact limit).
 */
export const EXPORT_TABLE = {
  partitionKey: 'exportId',
  ttlAttribute: 'expiresAt',
  byUser: { name: 'byUser', partitionKey: 'userId', sortKey: 'createdAt' },
  byExpiry: { name: 'byExpiry', partitionKey: 'expiryPartition', sortKey: 'expiresAt', partitionValue: 'export', projected: ['userId', 'status', 'packageKey'] },
} as const;
