// Bundles the console into OUT (index.html, console.js, console.css): no CDN, everything from node_modules.
// node build.mjs <out-dir>   (the gateway's Maven build passes target/classes/META-INF/resources)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, 'dist');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, 'src/main.jsx')],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: join(out, 'console.js'),
  logLevel: 'warning',
});
const css = readFileSync(join(here, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8') + readFileSync(join(here, 'src/console.css'), 'utf8');
writeFileSync(join(out, 'console.css'), css);
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
console.log(`console: built into ${out}`);
