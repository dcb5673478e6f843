// Notes single-page app: start-up, routing and views. No framework, no build step.
//
// Routes (history API; CloudFront and the local server answer every path with index.html):
//   /                  the caller's notes, paged, optionally ?tag=...
//   /notes/new         create a note
//   /notes/{id}        read a note
//   /notes/{id}/edit   edit a note (with the version check)

import { h, replace, time, announce } from './dom.js';
import { createApi, ApiError } from './api.js';
import {
  configureAuth, completeSignIn, currentUser, getIdToken, onAuthChange, signIn, signOut, clearSession,
} from './auth.js';

// Limits of a note (lambdas/api: MaxTitleChars, MaxBodyBytes, MaxTags, MaxTagChars, TagPattern).
const LIMITS = { titleChars: 200, bodyBytes: 10 * 1024, tags: 10, tagChars: 32 };
const TAG_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const PAGE_SIZE = 10;
const DRAFT_KEY = 'notes.draft';

let config;
let api;
let generation = 0;
// Paging state of the list: the cursors of the pages seen so far, so "Previous" works.
const listState = { tag: '', cursors: [''], index: 0 };

const main = () => document.getElementById('main');

// ---------------------------------------------------------------- start-up

async function boot() {
  try {
    config = await loadConfig();
  } catch (err) {
    replace(main(),
      h('h1', { tabindex: '-1' }, 'The app could not start'),
      h('p', { class: 'alert alert--error', role: 'alert' }, err.message));
    return;
  }
  configureAuth(config);
  api = createApi({
    baseUrl: config.apiUrl,
    getToken: getIdToken,
    onUnauthorized: () => clearSession(),
  });

  const appName = config.appName || 'Notes';
  document.getElementById('brand').textContent = appName;
  const badge = document.getElementById('env-badge');
  if (config.environment) {
    badge.textContent = config.environment;
    badge.hidden = false;
  }
  onAuthChange(renderAccount);
  document.addEventListener('click', onLinkClick);
  window.addEventListener('popstate', () => render());

  const result = await completeSignIn();
  renderAccount(currentUser());
  await render({ error: result && result.error });
  if (result && result.returnPath) announce(`Signed in as ${currentUser().name}.`);
  loadFooter(appName);
}

async function loadConfig() {
  let res;
  try {
    res = await fetch('/config.json', { cache: 'no-store' });
  } catch {
    throw new Error('The configuration (/config.json) could not be loaded. Check your connection and reload.');
  }
  if (!res.ok) throw new Error(`The configuration (/config.json) could not be loaded (HTTP ${res.status}).`);
  const c = await res.json();
  const missing = ['userPoolClientId', 'authDomain', 'apiUrl'].filter((k) => !c[k]);
  if (missing.length) throw new Error(`The configuration is missing ${missing.join(', ')}.`);
  let auth;
  try { auth = new URL(c.authDomain); } catch { auth = null; }
  const loopback = auth && ['127.0.0.1', 'localhost', '[::1]'].includes(auth.hostname);
  if (!auth || !(auth.protocol === 'https:' || (auth.protocol === 'http:' && loopback))) {
    throw new Error(`The configuration's authDomain "${c.authDomain}" must be an https URL.`);
  }
  return c;
}

async function loadFooter(appName) {
  const footer = document.getElementById('footer-text');
  const env = config.environment ? ` · ${config.environment}` : '';
  footer.textContent = `${appName}${env}`;
  try {
    const health = await api.health();
    if (health && health.version) footer.textContent = `${appName}${env} · version ${health.version}`;
  } catch {
    // The footer is decoration; the views report API problems themselves.
  }
}

function renderAccount(user) {
  const nav = document.getElementById('account');
  if (user) {
    replace(nav,
      h('span', { class: 'account__user' }, 'Signed in as ', h('strong', { id: 'user-name' }, user.name)),
      h('button', { type: 'button', class: 'btn btn--quiet', id: 'sign-out', onclick: () => signOut() }, 'Sign out'));
  } else {
    replace(nav,
      h('button', { type: 'button', class: 'btn btn--quiet', id: 'sign-in-header', onclick: () => signIn(currentPath()) }, 'Sign in'));
  }
}

// ---------------------------------------------------------------- routing

function currentPath() {
  return window.location.pathname + window.location.search;
}

function navigate(path, { replace: replaceEntry = false, message = '' } = {}) {
  if (replaceEntry) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  return render({ message });
}

function onLinkClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href);
  if (url.origin !== window.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/oauth2/')) return;
  if (url.hash && url.pathname === window.location.pathname) return; // skip link
  event.preventDefault();
  navigate(url.pathname + url.search);
}

const routes = [
  { pattern: /^\/$/, view: listView },
  { pattern: /^\/notes\/new$/, view: (ctx) => editView(null, ctx) },
  { pattern: /^\/notes\/([^/]+)\/edit$/, view: (id, ctx) => editView(id, ctx) },
  { pattern: /^\/notes\/([^/]+)$/, view: (id, ctx) => noteView(id, ctx) },
];

async function render({ error = '', message = '' } = {}) {
  const gen = ++generation;
  const path = window.location.pathname;
  const route = routes.find((r) => r.pattern.test(path));
  const ctx = { gen, current: () => gen === generation };
  if (!route) {
    show('Page not found',
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, 'There is nothing at this address. ', h('a', { href: '/' }, 'Go to your notes'), '.'));
  } else if (!currentUser()) {
    signedOutView(path, error);
  } else {
    const args = path.match(route.pattern).slice(1).map(decodeURIComponent);
    await route.view(...args, ctx);
  }
  if (message && ctx.current()) announce(message);
}

/** Replaces the main content, sets the title and moves focus to the new heading. */
function show(title, ...content) {
  document.title = `${title} · ${(config && config.appName) || 'Notes'}`;
  const m = main();
  replace(m, ...content);
  const heading = m.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

function signedOutView(path, error) {
  const deepLink = path !== '/';
  show('Sign in',
    h('section', { class: 'hero', 'aria-labelledby': 'hero-title' },
      h('h1', { id: 'hero-title' }, deepLink ? 'Sign in to continue' : 'Your notes, in one place'),
      error ? h('p', { class: 'alert alert--error', role: 'alert' }, error) : null,
      h('p', { class: 'lead' }, deepLink
        ? 'You need to sign in to open this page. You will come back here afterwards.'
        : 'Write, tag and find your notes from any device. Sign in to get started.'),
      h('button', { type: 'button', class: 'btn btn--primary btn--large', id: 'sign-in', onclick: () => signIn(currentPath()) }, 'Sign in')));
}

/** Shows an API error in the view; a 401 turns into the sign-in prompt. */
function showError(ctx, title, err) {
  if (!ctx.current()) return;
  if (err && err.status === 401) {
    signedOutView(window.location.pathname, 'Your session has ended. Please sign in again.');
    return;
  }
  show(title,
    h('h1', {}, title),
    h('p', { class: 'alert alert--error', role: 'alert' }, errorText(err)),
    h('p', {}, h('a', { href: '/' }, 'Back to your notes')));
}

function errorText(err) {
  if (!err) return 'Something went wrong.';
  const id = err.requestId ? ` (request ${err.requestId})` : '';
  return `${err.message}${id}`;
}

// ---------------------------------------------------------------- list

async function listView(ctx) {
  const params = new URLSearchParams(window.location.search);
  const tag = (params.get('tag') || '').trim().toLowerCase();
  if (tag !== listState.tag) {
    listState.tag = tag;
    listState.cursors = [''];
    listState.index = 0;
  }
  const heading = tag ? `Notes tagged “${tag}”` : 'My notes';

  const filterInput = h('input', {
    id: 'tag-filter', name: 'tag', type: 'search', value: tag, autocomplete: 'off',
    'aria-describedby': 'tag-filter-hint', maxlength: String(LIMITS.tagChars),
  });
  const filter = h('form', {
    class: 'filter', role: 'search', 'aria-label': 'Filter notes by tag',
    onsubmit: (e) => {
      e.preventDefault();
      const value = filterInput.value.trim().toLowerCase();
      navigate(value ? `/?tag=${encodeURIComponent(value)}` : '/');
    },
  },
  h('label', { for: 'tag-filter' }, 'Filter by tag'),
  h('div', { class: 'filter__row' },
    filterInput,
    h('button', { type: 'submit', class: 'btn' }, 'Filter'),
    tag ? h('a', { class: 'btn btn--quiet', href: '/', id: 'clear-filter' }, 'Clear filter') : null),
  h('p', { class: 'hint', id: 'tag-filter-hint' }, 'Shows only notes with this tag.'));

  const results = h('div', { class: 'results', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading notes…'));
  show(tag ? `Tag ${tag}` : 'My notes',
    h('div', { class: 'page-head' },
      h('h1', {}, heading),
      h('a', { class: 'btn btn--primary', href: '/notes/new', id: 'new-note' }, 'New note')),
    filter,
    results);
  await loadPage(ctx, results);
}

async function loadPage(ctx, results, focusTarget) {
  results.setAttribute('aria-busy', 'true');
  let page;
  try {
    page = await api.listNotes({ limit: PAGE_SIZE, cursor: listState.cursors[listState.index], tag: listState.tag });
  } catch (err) {
    if (err.status === 400 && listState.index > 0) {
      // A stale cursor: start again from the first page.
      listState.cursors = [''];
      listState.index = 0;
      return loadPage(ctx, results, focusTarget);
    }
    showError(ctx, 'Your notes could not be loaded', err);
    return;
  }
  if (!ctx.current()) return;
  results.setAttribute('aria-busy', 'false');
  const pageNo = listState.index + 1;
  listState.cursors.length = listState.index + 1;
  if (page.nextCursor) listState.cursors.push(page.nextCursor);

  if (!page.notes.length && listState.index === 0) {
    replace(results, h('div', { class: 'empty' },
      h('p', {}, listState.tag ? `No notes are tagged “${listState.tag}”.` : 'You have no notes yet.'),
      h('p', {}, h('a', { href: '/notes/new' }, 'Write your first note'), '.')));
    return;
  }
  const prev = h('button', {
    type: 'button', class: 'btn', id: 'prev-page', disabled: listState.index === 0,
    onclick: () => { listState.index -= 1; loadPage(ctx, results, 'prev-page'); },
  }, '← Previous');
  const next = h('button', {
    type: 'button', class: 'btn', id: 'next-page', disabled: !page.nextCursor,
    onclick: () => { listState.index += 1; loadPage(ctx, results, 'next-page'); },
  }, 'Next →');
  replace(results,
    h('h2', { class: 'visually-hidden', id: 'list-heading', tabindex: '-1' }, `Page ${pageNo}`),
    h('ul', { class: 'note-list', 'aria-labelledby': 'list-heading', id: 'note-list' }, page.notes.map(noteCard)),
    (listState.index > 0 || page.nextCursor)
      ? h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, h('span', { class: 'pager__label' }, `Page ${pageNo}`), next)
      : null);
  if (focusTarget) {
    const el = document.getElementById(focusTarget);
    if (el && !el.disabled) el.focus();
    else document.getElementById('list-heading').focus();
    announce(`Page ${pageNo}`);
  }
}

function noteCard(note) {
  const snippet = (note.body || '').slice(0, 180);
  return h('li', { class: 'note-card', dataset: { id: note.id } },
    h('h3', { class: 'note-card__title' }, h('a', { href: `/notes/${encodeURIComponent(note.id)}` }, note.title || '(untitled)')),
    h('p', { class: 'meta' }, 'Updated ', time(note.updatedAt || note.createdAt)),
    snippet ? h('p', { class: 'note-card__snippet' }, snippet + ((note.body || '').length > snippet.length ? '…' : '')) : null,
    tagList(note.tags));
}

function tagList(tags) {
  if (!tags || !tags.length) return null;
  return h('ul', { class: 'tags', 'aria-label': 'Tags' },
    tags.map((t) => h('li', {}, h('a', { class: 'tag', href: `/?tag=${encodeURIComponent(t)}` }, `#${t}`))));
}

// ---------------------------------------------------------------- one note

async function noteView(id, ctx) {
  show('Loading note', h('h1', {}, 'Loading note…'));
  let note;
  let etag;
  try {
    ({ note, etag } = await api.getNote(id));
  } catch (err) {
    if (err.status === 404) {
      if (!ctx.current()) return;
      show('Note not found',
        h('h1', {}, 'Note not found'),
        h('p', {}, 'This note does not exist or was deleted. ', h('a', { href: '/' }, 'Back to your notes'), '.'));
      return;
    }
    showError(ctx, 'The note could not be loaded', err);
    return;
  }
  if (!ctx.current()) return;

  const deleteButton = h('button', { type: 'button', class: 'btn btn--danger', id: 'delete-note' }, 'Delete');
  deleteButton.addEventListener('click', () => confirmDelete(note, etag, deleteButton));
  show(note.title,
    h('p', { class: 'breadcrumb' }, h('a', { href: '/' }, '← All notes')),
    h('article', { class: 'note', 'aria-labelledby': 'note-title' },
      h('h1', { id: 'note-title' }, note.title),
      h('p', { class: 'meta' },
        'Created ', time(note.createdAt), ' · Updated ', time(note.updatedAt),
        ' · Version ', h('span', { id: 'note-version' }, String(note.version))),
      tagList(note.tags),
      h('div', { class: 'note__body', id: 'note-body' }, note.body || h('span', { class: 'muted' }, 'No text.'))),
    h('div', { class: 'actions' },
      h('a', { class: 'btn btn--primary', href: `/notes/${encodeURIComponent(note.id)}/edit`, id: 'edit-note' }, 'Edit'),
      deleteButton));
}

function confirmDelete(note, etag, opener) {
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'delete-title', 'aria-describedby': 'delete-desc' });
  const close = () => { dialog.close(); dialog.remove(); opener.focus(); };
  const confirm = h('button', { type: 'button', class: 'btn btn--danger', id: 'confirm-delete' }, 'Delete note');
  const errorBox = h('p', { class: 'alert alert--error', role: 'alert', hidden: true });
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      await api.deleteNote(note.id, etag);
    } catch (err) {
      confirm.disabled = false;
      if (err.status === 404) {
        dialog.close(); dialog.remove();
        navigate('/', { message: 'The note had already been deleted.' });
        return;
      }
      errorBox.hidden = false;
      errorBox.textContent = err.status === 412
        ? 'This note was changed somewhere else since you opened it. Close this and review the latest version first.'
        : errorText(err);
      return;
    }
    dialog.close(); dialog.remove();
    navigate('/', { message: `Deleted “${note.title}”.` });
  });
  replace(dialog,
    h('h2', { id: 'delete-title' }, 'Delete this note?'),
    h('p', { id: 'delete-desc' }, `“${note.title}” will be deleted for good.`),
    errorBox,
    h('div', { class: 'actions' },
      confirm,
      h('button', { type: 'button', class: 'btn', id: 'cancel-delete', onclick: close }, 'Cancel')));
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
  dialog.querySelector('#cancel-delete').focus();
}

// ---------------------------------------------------------------- create and edit

async function editView(id, ctx) {
  const isNew = id === null;
  let note = { title: '', body: '', tags: [] };
  let etag = '';
  if (!isNew) {
    show('Loading note', h('h1', {}, 'Loading note…'));
    try {
      ({ note, etag } = await api.getNote(id));
    } catch (err) {
      if (err.status === 404) {
        if (!ctx.current()) return;
        show('Note not found', h('h1', {}, 'Note not found'),
          h('p', {}, 'This note does not exist or was deleted. ', h('a', { href: '/' }, 'Back to your notes'), '.'));
        return;
      }
      showError(ctx, 'The note could not be loaded', err);
      return;
    }
    if (!ctx.current()) return;
  }
  let idempotencyKey = newKey();

  const title = h('input', {
    id: 'note-title-input', name: 'title', type: 'text', required: true, value: note.title,
    maxlength: String(LIMITS.titleChars), autocomplete: 'off', 'aria-describedby': 'title-error',
  });
  const body = h('textarea', {
    id: 'note-body-input', name: 'body', rows: '12', value: note.body || '', 'aria-describedby': 'body-hint body-error',
  });
  const tags = h('input', {
    id: 'note-tags-input', name: 'tags', type: 'text', value: (note.tags || []).join(', '),
    autocomplete: 'off', 'aria-describedby': 'tags-hint tags-error',
  });
  const errors = {
    title: h('p', { class: 'field__error', id: 'title-error', hidden: true }),
    body: h('p', { class: 'field__error', id: 'body-error', hidden: true }),
    tags: h('p', { class: 'field__error', id: 'tags-error', hidden: true }),
  };
  const fields = { title, body, tags };
  const formAlert = h('div', { class: 'alert alert--error', role: 'alert', id: 'form-alert', hidden: true });
  const conflict = h('section', { class: 'conflict', id: 'conflict', hidden: true, 'aria-labelledby': 'conflict-title' });
  const discarded = h('div', { id: 'discarded-draft', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn--primary', id: 'save-note' }, isNew ? 'Create note' : 'Save changes');
  const cancelHref = isNew ? '/' : `/notes/${encodeURIComponent(id)}`;

  const form = h('form', { class: 'note-form', novalidate: true, 'aria-labelledby': 'edit-title' },
    h('div', { class: 'field' },
      h('label', { for: 'note-title-input' }, 'Title'),
      title, errors.title),
    h('div', { class: 'field' },
      h('label', { for: 'note-body-input' }, 'Text'),
      body,
      h('p', { class: 'hint', id: 'body-hint' }, 'Plain text, up to 10 KB.'),
      errors.body),
    h('div', { class: 'field' },
      h('label', { for: 'note-tags-input' }, 'Tags'),
      tags,
      h('p', { class: 'hint', id: 'tags-hint' },
        `Separate tags with commas or spaces. Lower-case letters, digits, - and _; up to ${LIMITS.tags} tags.`),
      errors.tags),
    h('div', { class: 'actions' },
      save,
      h('a', { class: 'btn', href: cancelHref, id: 'cancel-edit' }, 'Cancel')));

  show(isNew ? 'New note' : `Edit ${note.title}`,
    h('p', { class: 'breadcrumb' }, h('a', { href: cancelHref }, isNew ? '← All notes' : '← Back to the note')),
    h('h1', { id: 'edit-title' }, isNew ? 'New note' : 'Edit note'),
    !isNew ? h('p', { class: 'meta' }, 'Editing version ', h('span', { id: 'editing-version' }, String(note.version))) : null,
    formAlert, conflict, form, discarded);

  // A draft kept across a forced sign-in comes back here.
  const draft = takeDraft(isNew ? 'new' : id);
  if (draft) {
    title.value = draft.title;
    body.value = draft.body;
    tags.value = draft.tags;
    if (draft.etag) etag = draft.etag;
    if (draft.idempotencyKey) idempotencyKey = draft.idempotencyKey;
    announce('Your unsaved changes were restored.');
  }

  const setVersion = (v) => {
    const el = document.getElementById('editing-version');
    if (el) el.textContent = String(v);
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(etag);
  });

  async function submit(ifMatch) {
    formAlert.hidden = true;
    const input = validate(fields, errors);
    if (!input) return;
    save.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      if (isNew) {
        const { note: created } = await api.createNote(input, idempotencyKey);
        await navigate(`/notes/${encodeURIComponent(created.id)}`, { replace: true, message: 'Note created.' });
      } else {
        await api.updateNote(id, input, ifMatch);
        await navigate(`/notes/${encodeURIComponent(id)}`, { replace: true, message: 'Changes saved.' });
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err; // a bug, not an answer: let it surface
      if (!form.isConnected) return;
      save.disabled = false;
      form.setAttribute('aria-busy', 'false');
      if (err.status === 412) await showConflict(input);
      else if (err.status === 404 && !isNew) showDeleted(input);
      else if (err.status === 401) showSignInAgain();
      else showFormError(err);
    }
  }

  async function showConflict(mine) {
    let latest;
    let latestTag;
    try {
      ({ note: latest, etag: latestTag } = await api.getNote(id));
    } catch (err) {
      if (err.status === 404) { showDeleted(mine); return; }
      showFormError(err);
      return;
    }
    const overwrite = h('button', { type: 'button', class: 'btn btn--danger', id: 'conflict-overwrite' }, 'Overwrite with my changes');
    const reload = h('button', { type: 'button', class: 'btn', id: 'conflict-reload' }, 'Load the latest version');
    overwrite.addEventListener('click', () => {
      conflict.hidden = true;
      submit(latestTag);
    });
    reload.addEventListener('click', () => {
      const mineNow = { title: title.value, body: body.value, tags: tags.value };
      title.value = latest.title;
      body.value = latest.body || '';
      tags.value = (latest.tags || []).join(', ');
      etag = latestTag;
      setVersion(latest.version);
      conflict.hidden = true;
      showDiscarded(mineNow);
      title.focus();
      announce('Loaded the latest version. Your own changes are kept below the form so you can copy them.');
    });
    replace(conflict,
      h('h2', { id: 'conflict-title', tabindex: '-1' }, 'This note was changed somewhere else'),
      h('p', {},
        `While you were editing, version ${latest.version} was saved (`, time(latest.updatedAt),
        '), perhaps in another tab or on another device. ',
        h('strong', {}, 'Your changes have not been saved yet'), ' and are still in the form below.'),
      h('details', { class: 'conflict__latest', open: true },
        h('summary', {}, `Latest saved version (version ${latest.version})`),
        h('dl', {},
          h('dt', {}, 'Title'), h('dd', { id: 'conflict-latest-title' }, latest.title),
          h('dt', {}, 'Tags'), h('dd', {}, (latest.tags || []).join(', ') || '—'),
          h('dt', {}, 'Text'), h('dd', { class: 'pre' }, latest.body || '—'))),
      h('p', {}, 'Choose what to keep:'),
      h('div', { class: 'actions' }, reload, overwrite));
    conflict.hidden = false;
    conflict.querySelector('h2').focus();
    announce('Not saved: this note was changed somewhere else. Choose what to keep.');
  }

  function showDiscarded(mine) {
    replace(discarded,
      h('details', { class: 'discarded', open: true },
        h('summary', {}, 'Your changes that were replaced (not saved)'),
        h('p', { class: 'hint' }, 'Copy anything you still need into the form above.'),
        h('label', { for: 'discarded-text' }, 'Your text'),
        h('textarea', {
          id: 'discarded-text', readonly: true, rows: '6',
          value: `${mine.title}\n\n${mine.body}${mine.tags ? `\n\nTags: ${mine.tags}` : ''}`,
        })));
    discarded.hidden = false;
  }

  function showDeleted(mine) {
    const saveNew = h('button', { type: 'button', class: 'btn btn--primary', id: 'save-as-new' }, 'Save as a new note');
    saveNew.addEventListener('click', async () => {
      saveNew.disabled = true;
      try {
        const { note: created } = await api.createNote(mine, idempotencyKey);
        navigate(`/notes/${encodeURIComponent(created.id)}`, { replace: true, message: 'Saved as a new note.' });
      } catch (err) {
        saveNew.disabled = false;
        showFormError(err);
      }
    });
    replace(conflict,
      h('h2', { id: 'conflict-title', tabindex: '-1' }, 'This note was deleted somewhere else'),
      h('p', {}, 'Your changes are still in the form below. You can keep them as a new note.'),
      h('div', { class: 'actions' }, saveNew));
    conflict.hidden = false;
    conflict.querySelector('h2').focus();
  }

  function showSignInAgain() {
    const again = h('button', { type: 'button', class: 'btn btn--primary', id: 'sign-in-again' }, 'Sign in and keep my changes');
    again.addEventListener('click', () => {
      keepDraft(isNew ? 'new' : id, {
        title: title.value, body: body.value, tags: tags.value, etag, idempotencyKey,
      });
      signIn(currentPath());
    });
    replace(formAlert, h('p', {}, 'Your session has ended, so the note was not saved. '), again);
    formAlert.hidden = false;
    again.focus();
  }

  function showFormError(err) {
    replace(formAlert, h('p', {}, `The note was not saved: ${errorText(err)}`));
    formAlert.hidden = false;
    formAlert.setAttribute('tabindex', '-1');
    formAlert.focus();
  }
}

/** Checks the form against the API's limits; returns the request body or null. */
function validate(fields, errors) {
  const problems = {};
  const titleValue = fields.title.value.trim();
  if (!titleValue) problems.title = 'Enter a title.';
  else if ([...titleValue].length > LIMITS.titleChars) problems.title = `Shorten the title to ${LIMITS.titleChars} characters or fewer.`;
  const bodyValue = fields.body.value;
  const bytes = new TextEncoder().encode(bodyValue).length;
  if (bytes > LIMITS.bodyBytes) problems.body = `The text is ${(bytes / 1024).toFixed(1)} KB; the limit is 10 KB.`;
  const tagValues = [...new Set(fields.tags.value.split(/[\s,]+/).map((t) => t.trim().toLowerCase()).filter(Boolean))];
  const bad = tagValues.filter((t) => !TAG_PATTERN.test(t) || t.length > LIMITS.tagChars);
  if (bad.length) problems.tags = `Not a valid tag: ${bad.join(', ')}. Use lower-case letters, digits, - and _ (up to ${LIMITS.tagChars} characters).`;
  else if (tagValues.length > LIMITS.tags) problems.tags = `Use at most ${LIMITS.tags} tags.`;

  let first = null;
  for (const name of Object.keys(errors)) {
    const msg = problems[name];
    errors[name].hidden = !msg;
    errors[name].textContent = msg || '';
    if (msg) {
      fields[name].setAttribute('aria-invalid', 'true');
      first = first || fields[name];
    } else {
      fields[name].removeAttribute('aria-invalid');
    }
  }
  if (first) {
    first.focus();
    return null;
  }
  return { title: titleValue, body: bodyValue, tags: tagValues };
}

function keepDraft(key, draft) {
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ key, draft }));
}

function takeDraft(key) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || 'null');
    if (stored && stored.key === key) {
      sessionStorage.removeItem(DRAFT_KEY);
      return stored.draft;
    }
  } catch {
    sessionStorage.removeItem(DRAFT_KEY);
  }
  return null;
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

boot();
