import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const AXE = axe.source;

/**
 * axe-core's violations on the page as it is now, light and dark. axe is evaluated through the
 * DevTools protocol, which the page's CSP (script-src 'self') does not govern.
 */
export async function accessibility(page: Page): Promise<string[]> {
  const out: string[] = [];
  let checked = 0;
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
    // One run gives both: `resultTypes` trims the nodes listed for passes, not the rules passed.
    const found = (await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => v.id + ' (' + v.help + '): ' + v.nodes.map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | ')) }))`,
    )) as { passes: number; violations: string[] };
    for (const v of found.violations) out.push(`${colorScheme} ${new URL(page.url()).pathname}: ${v}`);
    checked += found.passes;
  }
  // axe ran its rules (a page it could not read would pass nothing and fail nothing).
  expect(checked).toBeGreaterThan(20);
  await page.emulateMedia({ colorScheme: 'light' });
  return out;
}
