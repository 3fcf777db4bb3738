#!/usr/bin/env node
// The `collexa` command: registers tsx so the TypeScript CLI runs straight from source.
import { register } from 'tsx/esm/api';

register();
await import('./cli/main.ts');
