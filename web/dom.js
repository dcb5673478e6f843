// Small DOM helpers. Everything is built with createElement and text nodes, never
// innerHTML, so note content can never become markup (and the CSP needs no exceptions).

/**
 * h('button', {class: 'btn', onclick: fn}, 'Save') creates an element.
 * Props: class, dataset, on<event> handlers, value/checked/disabled/hidden as properties,
 * everything else as attributes (true -> empty attribute; false/null/undefined -> absent).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' || key === 'checked') {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces all children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A <time> element showing a local date and time. */
export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return h('time', { datetime: date.toISOString() },
    date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
}

let statusTimer;

/** Announces a message in the polite live region (and shows it as a toast). */
export function announce(message) {
  const status = document.getElementById('status');
  if (!status) return;
  // Clearing first makes screen readers announce a repeated message again.
  status.textContent = '';
  status.classList.remove('status--visible');
  clearTimeout(statusTimer);
  window.setTimeout(() => {
    status.textContent = message;
    status.classList.add('status--visible');
    statusTimer = window.setTimeout(() => status.classList.remove('status--visible'), 5000);
  }, 50);
}
