/** Entry point of the fzip command (bin/fzip.js runs it from source; dist/cli/fzip-main.js compiled). */
import { main } from './fzip';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
