// After tsc: writes schema/jitsi-k8s.schema.json (JSON Schema for editors) from the zod Config schema.
import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema } from '../dist/config/schema.js';

const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
schema.$id = 'https://github.com/jitsi-k8s/jitsi-k8s/schema/jitsi-k8s.schema.json';
schema.title = 'jitsi-k8s.yaml';
mkdirSync(new URL('../schema/', import.meta.url), { recursive: true });
writeFileSync(new URL('../schema/jitsi-k8s.schema.json', import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
