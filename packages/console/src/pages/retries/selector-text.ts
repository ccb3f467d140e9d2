/** A retry batch's selector as the receipt and the history name it. */
export function selectorText(selector: Record<string, unknown>) {
  if (typeof selector.groupId === 'string') return `group ${selector.groupId.slice(0, 12)}…`;
  if (Array.isArray(selector.ids)) return `${selector.ids.length} selected message(s)`;
  return JSON.stringify(selector);
}
