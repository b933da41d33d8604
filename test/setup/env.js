// Quiet structured logs in tests unless asked for; the SDK needs a region and credentials
// even against local stand-ins.
process.env.LOG_LEVEL ??= 'silent';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
