import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const AXE = axe.source;

/**
 * What the dark pass runs: axe's colour rules that the light pass runs too (`cat.color` without
 * the AAA `color-contrast-enhanced`, off in both). The console's dark scheme changes colours only
 * (custom properties and two colour rules under `prefers-color-scheme: dark`, see
 * packages/console/src/assets/styles.ts), so every other rule gives in dark what it gave in light.
 */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * axe-core's violations on the page as it is now: every rule in light, the colour rules again in
 * dark. axe is evaluated through the DevTools protocol, which the page's CSP (script-src 'self')
 * does not govern.
 */
export async function accessibility(page: Page): Promise<string[]> {
  const out: string[] = [];
  const ran: Record<string, string[]> = {};
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
    const only =
      colorScheme === 'dark' ? `runOnly: { type: 'rule', values: ${JSON.stringify(COLOUR_RULES)} }, ` : '';
    // One run gives both: `resultTypes` trims the nodes listed for passes, not the rules passed.
    const found = (await page.evaluate(
      `axe.run(document, { ${only}resultTypes: ['violations'] }).then((r) => ({ ran: [...r.passes, ...r.violations, ...r.incomplete].map((v) => v.id), violations: r.violations.map((v) => v.id + ' (' + v.help + '): ' + v.nodes.map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | ')) }))`,
    )) as { ran: string[]; violations: string[] };
    for (const v of found.violations) out.push(`${colorScheme} ${new URL(page.url()).pathname}: ${v}`);
    ran[colorScheme] = found.ran;
  }
  // axe ran its rules (a page it could not read would pass nothing and fail nothing), contrast in both.
  expect(ran.light!.length).toBeGreaterThan(20);
  expect(ran.light).toContain('color-contrast');
  expect(ran.dark).toContain('color-contrast');
  await page.emulateMedia({ colorScheme: 'light' });
  return out;
}
