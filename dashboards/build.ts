/** `npm run dashboards`: writes the dashboard JSON and the Grafana provisioning files. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderGeneratedFiles } from './render';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const files = renderGeneratedFiles();

// Dashboards removed from the code must disappear from Grafana too.
const generatedDir = join(root, 'dashboards/generated');
mkdirSync(generatedDir, { recursive: true });
for (const name of readdirSync(generatedDir)) {
  if (!files.has(`dashboards/generated/${name}`)) rmSync(join(generatedDir, name));
}

for (const [path, content] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
