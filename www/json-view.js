// Pretty-printed JSON with its keys and values marked for colour, built as text nodes.

import { el, replace } from './dom.js';

/** Render `value` (already parsed JSON) into `pre`; `empty` is shown when value is null/undefined. */
export function renderJson(pre, value, empty = '—') {
  if (value === null || value === undefined) {
    replace(pre, el('span', { class: 'json-empty' }, empty));
    return;
  }
  const out = [];
  write(value, 0, out);
  replace(pre, ...out);
}

function write(value, depth, out) {
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return out.push('[]');
    out.push('[\n');
    value.forEach((v, i) => {
      out.push(pad);
      write(v, depth + 1, out);
      out.push(i < value.length - 1 ? ',\n' : '\n');
    });
    return out.push(`${end}]`);
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return out.push('{}');
    out.push('{\n');
    entries.forEach(([k, v], i) => {
      out.push(pad, el('span', { class: 'json-key' }, JSON.stringify(k)), ': ');
      write(v, depth + 1, out);
      out.push(i < entries.length - 1 ? ',\n' : '\n');
    });
    return out.push(`${end}}`);
  }
  const kind = value === null ? 'null' : typeof value;
  return out.push(el('span', { class: `json-${kind}` }, JSON.stringify(value)));
}
