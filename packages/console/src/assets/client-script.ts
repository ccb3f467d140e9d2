/**
 * The console's own script (besides htmx): selection, keyboard, polling pause. Kept as a string
 * so the Lambda bundle carries it with no file copying; served from /console/assets with the
 * same cache headers as htmx. No eval, no inline handlers: the page's CSP allows 'self' scripts only.
 */
export const CLIENT_SCRIPT = `(() => {
  'use strict';
  const $$ = (s, r = document) => Array.from(r.querySelectorAll(s));

  // Polling pauses while the tab is hidden and catches up when it shows again. A list with an
  // expanded payload (<details open>) holds still too: its refresh would fold the payload away.
  document.addEventListener('htmx:beforeRequest', (e) => {
    const elt = e.detail && e.detail.elt;
    if (elt && elt.hasAttribute('data-poll') && (document.hidden || elt.querySelector('details[open]'))) e.preventDefault();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && window.htmx) for (const el of $$('[data-poll]')) window.htmx.trigger(el, 'console:visible');
  });

  // Selection: shift-click selects a range, "select all matching" covers every page of the filter.
  let last = null;
  function refreshSelection() {
    const boxes = $$('input.sel');
    const n = boxes.filter((b) => b.checked).length;
    const all = document.getElementById('select-all-matching');
    const allOn = all && all.checked;
    const out = document.getElementById('selection-count');
    if (out) out.textContent = allOn ? 'all ' + all.dataset.total + ' matching selected' : n + ' selected';
    // A button stays off when a ticked message cannot take its operation (ids are taken all or
    // none), and says why; "all matching" takes the eligible ones, so it is always on.
    const form = document.getElementById('bulk');
    const rules = form && form.dataset.eligible ? JSON.parse(form.dataset.eligible) : {};
    const chosen = boxes.filter((b) => b.checked);
    const why = [];
    for (const b of $$('[data-needs-selection]')) {
      const allowed = rules[b.dataset.op];
      const blocked = allOn || !allowed ? [] : chosen.filter((x) => !allowed.includes(x.dataset.status) ||
        (b.dataset.op === 'retry' && x.hasAttribute('data-invalid')));
      b.disabled = (!allOn && n === 0) || blocked.length > 0;
      b.title = blocked.length ? blocked.length + ' of ' + n + ' selected cannot be ' + b.dataset.verb : '';
      if (blocked.length) why.push(b.textContent.replace('…', '') + ': ' + b.title);
    }
    const whyOut = document.getElementById('selection-why');
    if (whyOut) whyOut.textContent = why.join(' · ');
    for (const row of $$('tr[data-row]')) {
      const box = row.querySelector('input.sel');
      row.classList.toggle('selected', !!(box && box.checked));
    }
  }
  document.addEventListener('click', (e) => {
    const t = e.target;
    if (!(t instanceof HTMLInputElement)) return;
    if (t.classList.contains('sel')) {
      const boxes = $$('input.sel');
      if (e.shiftKey && last && last !== t) {
        const a = boxes.indexOf(last), b = boxes.indexOf(t);
        const [from, to] = a < b ? [a, b] : [b, a];
        for (let i = from; i <= to; i++) boxes[i].checked = t.checked;
      }
      last = t;
      refreshSelection();
    } else if (t.id === 'select-page') {
      for (const b of $$('input.sel')) b.checked = t.checked;
      refreshSelection();
    } else if (t.id === 'select-all-matching') {
      if (t.checked) for (const b of $$('input.sel')) b.checked = true;
      refreshSelection();
    }
  });
  document.addEventListener('DOMContentLoaded', refreshSelection);
  // A live list's refresh keeps what was ticked.
  let kept = new Set();
  document.addEventListener('htmx:beforeSwap', () => {
    kept = new Set($$('input.sel').filter((b) => b.checked).map((b) => b.value));
  });
  document.addEventListener('htmx:afterSwap', () => {
    for (const b of $$('input.sel')) if (kept.has(b.value)) b.checked = true;
    refreshSelection();
  });

  // Archive, resolve and revoke ask first, naming how many they change ({n}: the selection's size).
  document.addEventListener('submit', (e) => {
    const b = e.submitter;
    if (!b || !b.dataset.confirm) return;
    const all = document.getElementById('select-all-matching');
    const n = all && all.checked ? all.dataset.total : String($$('input.sel').filter((x) => x.checked).length);
    const text = b.dataset.confirm.replace('{n}', n).replace('{s}', n === '1' ? '' : 's');
    if (!window.confirm(text)) e.preventDefault();
  });

  // Keyboard: "/" search, j/k move, x select, Enter open.
  let cursor = -1;
  function move(delta) {
    const rows = $$('tr[data-row]');
    if (!rows.length) return;
    cursor = Math.max(0, Math.min(rows.length - 1, cursor + delta));
    rows.forEach((r, i) => r.classList.toggle('current', i === cursor));
    rows[cursor].scrollIntoView({ block: 'nearest' });
    const link = rows[cursor].querySelector('a');
    if (link) link.focus({ preventScroll: true });
  }
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = t instanceof HTMLElement && (t.isContentEditable || /^(TEXTAREA|SELECT)$/.test(t.tagName) ||
      (t instanceof HTMLInputElement && !/^(checkbox|radio|button|submit)$/.test(t.type)));
    if (typing) {
      if (e.key === 'Escape') t.blur();
      return;
    }
    if (e.key === '/') {
      const s = document.querySelector('[data-search]');
      if (s) { e.preventDefault(); s.focus(); s.select && s.select(); }
    } else if (e.key === 'j') move(1);
    else if (e.key === 'k') move(-1);
    else if (e.key === 'x') {
      const row = $$('tr[data-row]')[cursor];
      const box = row && row.querySelector('input.sel');
      if (box) { box.checked = !box.checked; last = box; refreshSelection(); }
    }
  });
})();
`;
