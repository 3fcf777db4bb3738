// `npm run build:workflows [out]`: writes the workflow bundle so workers start without webpack.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/paths.js';
import { buildWorkflowBundle } from './workflow-bundle.js';

const out = path.resolve(process.argv[2] ?? path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js'));
const bundle = await buildWorkflowBundle();
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, bundle.code);
console.log(`workflow bundle written to ${out} (${Math.round(bundle.code.length / 1024)} KiB)`);
