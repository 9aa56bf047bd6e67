import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Bootstrap Italia's CSS embeds Video.js's icon font as a `data:` URL, which the CSP's
 * `font-src 'self'` refuses (and the app shows no video): the @font-face is dropped at build.
 */
const dropVideoJsFont: Plugin = {
  name: 'combipat-drop-videojs-font',
  enforce: 'pre',
  transform(code, id) {
    if (!id.includes('bootstrap-italia') || !/\.css($|\?)/.test(id)) return null;
    return { code: code.replace(/@font-face\{font-family:VideoJS;[^}]*\}/g, ''), map: null };
  },
};

export default defineConfig({
  plugins: [react(), dropVideoJsFont],
  build: {
    outDir: 'dist',
    // Bootstrap Italia's CSS alone is ~570 kB; the warning would fire on every build.
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  server: {
    // `npm run dev`: the API from a `make run` server on the same machine.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    server: { deps: { inline: ['design-react-kit'] } },
    alias: {
      // WEB.md pitfall 4: design-react-kit's exports have only non-standard conditions, and
      // bootstrap-italia's UMD main sets NODE_ENV=production under Node.
      'design-react-kit': here('node_modules/design-react-kit/dist/index.js'),
      'bootstrap-italia': here('node_modules/bootstrap-italia/dist/bootstrap-italia.esm.js'),
    },
  },
});
