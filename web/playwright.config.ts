import { defineConfig } from '@playwright/test';

// Run through `scripts/web.sh e2e`, which starts the real binary on a fresh database and sets
// E2E_BASE_URL. Playwright cannot download browsers here: Debian's chromium (WEB.md pitfall 1).
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080',
    locale: 'it-IT',
    timezoneId: 'Europe/Rome',
    trace: 'off',
    screenshot: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'desktop', use: { viewport: { width: 1280, height: 900 } } },
    // The narrow screen runs the screens' checks (axe, layout), not the longer scenarios again.
    { name: 'mobile', use: { viewport: { width: 375, height: 667 } }, testMatch: /screens\.spec\.ts/ },
  ],
});
