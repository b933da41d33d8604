import { loadIssuer } from './local/stack';
import { readFileSync } from 'node:fs';
const D = process.argv[2]; const user = process.argv[3];
const e = JSON.parse(readFileSync(`${D}/endpoints.json`, 'utf8'));
const token = loadIssuer(D).sign(user);
(async () => {
  const list = await (await fetch(`${e.apiUrl}/import?limit=20`, { headers: { authorization: `Bearer ${token}` } })).json();
  for (const j of list.importJobs) {
    const s = await (await fetch(`${e.apiUrl}/import/${j.importId}/status`, { headers: { authorization: `Bearer ${token}` } })).json();
    console.log(JSON.stringify({ id: s.importId, status: s.status, phase: s.currentPhase, rolledBack: s.rolledBack, rr: s.rollbackResults, err: s.errorMessage, res: s.importResults }, null, 0));
  }
})();
