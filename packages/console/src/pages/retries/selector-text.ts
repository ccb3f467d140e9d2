/** A retry batch's selector as the receipt and the history name it: a group by its title, not its id. */
export function selectorText(selector: Record<string, unknown>, groupTitles: Map<string, string>) {
  if (typeof selector.groupId === 'string') {
    const title = groupTitles.get(selector.groupId);
    return title ? `group “${title}”` : `group ${selector.groupId.slice(0, 12)}…`;
  }
  if (Array.isArray(selector.ids) && selector.edit) return '1 message, edited and retried';
  if (Array.isArray(selector.ids)) return `${selector.ids.length} selected message(s)`;
  return JSON.stringify(selector);
}
