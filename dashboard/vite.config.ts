import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/** Files worth compressing ahead of time; the hub serves `.br`/`.gz` to browsers that accept them. */
const COMPRESSIBLE = /\.(js|css|html|svg|json)$/;
const MIN_BYTES = 1024;

function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'drm-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const assets = join(outDir, 'assets');
      for (const name of readdirSync(assets)) {
        const file = join(assets, name);
        if (!COMPRESSIBLE.test(name) || statSync(file).size < MIN_BYTES) continue;
        const bytes = readFileSync(file);
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  // Sources of @drm/protocol are bundled directly (its `source` export condition).
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // The hub's CSP allows scripts from 'self' only; the polyfill is not needed by browsers we support.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    rolldownOptions: {
      // @drm/protocol's modules only define schemas and pure helpers; without this hint every
      // schema of the contract would be kept, used or not.
      treeshake: { moduleSideEffects: (id: string) => !/[\\/]protocol[\\/]src[\\/]/.test(id) },
    },
  },
  plugins: [precompress()],
  server: {
    // `npm run dev`: the hub runs on its own port; the API and the live stream are proxied to it.
    proxy: {
      '/api': { target: process.env.DRM_HUB_URL ?? 'http://localhost:8080', ws: true, changeOrigin: false },
    },
  },
});
