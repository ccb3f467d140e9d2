import { ROUTES } from '@genledger/api/app';
import { buildOpenApi } from './packages/api/src/openapi.ts';
const t = performance.now(); const d: any = buildOpenApi(ROUTES); console.log('ms', (performance.now() - t).toFixed(1));
const walk = (n: any, p: string) => { if (n && typeof n === 'object') { if (!Array.isArray(n) && n.properties?.outputPath) console.log(p); for (const [k, v] of Object.entries(n)) walk(v, p + '/' + k); } };
walk(d, '');
