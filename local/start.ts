/**
 * `npm start`: the local stack in the foreground. Data is kept in .fzip-local/ (jobs, objects,
 * the token issuer's key), so jobs survive a restart. Ctrl-C stops it cleanly.
 */
import './polyfills';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startLocalStack } from './stack';

const DATA_DIR = process.env.FZIP_LOCAL_DIR ?? join(process.cwd(), '.fzip-local');

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= 'warn';
  // A task the state machine gave up on (timeout) keeps running here, unlike in Lambda where it
  // is stopped: its late failure is logged instead of stopping the stack.
  process.on('unhandledRejection', (err) => console.error(`a background task failed: ${(err as Error)?.message ?? String(err)}`));
  const stack = await startLocalStack({
    dataDir: DATA_DIR,
    apiPort: Number(process.env.FZIP_API_PORT ?? 3000),
    cleanupIntervalSeconds: Number(process.env.FZIP_CLEANUP_SECONDS ?? 60),
    log: (l) => console.error(l),
  });
  const token = stack.issuer.sign('dev-user', { ttlSeconds: 12 * 3600 });
  writeFileSync(join(DATA_DIR, 'dev-token'), token, { mode: 0o600 });
  // Where the fzip client finds this stack by default.
  writeFileSync(
    join(DATA_DIR, 'endpoints.json'),
    JSON.stringify(
      { apiUrl: stack.apiUrl, sfnEndpoint: stack.sfnEndpoint, stateMachineArn: stack.machine.stateMachineArn, dynamoEndpoint: stack.dynamoEndpoint, s3Endpoint: stack.s3Endpoint },
      null,
      2,
    ),
  );
  console.log(`fzip-import local stack (data in ${DATA_DIR})
  REST API         ${stack.apiUrl}
  DynamoDB API     ${stack.dynamoEndpoint}   (dynalite)
  S3 API           ${stack.s3Endpoint}   (s3rver; buckets fzip-packages, fzip-files)
  Step Functions   ${stack.sfnEndpoint}   (statemachine/import.asl.json via aws-local-stepfunctions)
  JWKS             ${stack.apiUrl}/.well-known/jwks.json

Development token for user "dev-user" (12 h; also in ${join(DATA_DIR, 'dev-token')}):
${token}

Try:  npx fzip generate --transactions 20000 -o /tmp/demo.fzip && npx fzip import /tmp/demo.fzip
Ctrl-C stops.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`could not start the local stack: ${(err as Error).message}`);
  process.exit(1);
});
