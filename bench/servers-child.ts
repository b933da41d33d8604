/**
 * dynalite and s3rver in their own process, for benchmarks that measure the memory of the code
 * under test alone: prints {"dynamoEndpoint","s3Endpoint"} and runs until its stdin closes.
 *   node dist/bench/servers-child.js '<ServerOptions JSON>'
 */
import { startLocalServers, ServerOptions } from '../local/servers';

async function main(): Promise<void> {
  const servers = await startLocalServers(JSON.parse(process.argv[2] ?? '{}') as ServerOptions);
  process.stdout.write(JSON.stringify({ dynamoEndpoint: servers.dynamoEndpoint, s3Endpoint: servers.s3Endpoint }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void servers.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
