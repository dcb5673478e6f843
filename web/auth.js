// Sign-in with OAuth 2.0 authorization code + PKCE (RFC 7636) against Cognito managed login
// or the local development issuer: both serve /oauth2/authorize, /oauth2/token,
// /oauth2/revoke and /logout on config.authDomain.
//
// Tokens live in this module's memory only (never localStorage, sessionStorage or cookies):
// a reload forgets them, and signing in again is one redirect (the identity provider keeps
// its own session). Only the short-lived PKCE verifier, state, nonce and the page to return
// to are kept in sessionStorage, for the length of one redirect.

const PENDING_KEY = 'notes.oauth.pending';
const SCOPES = 'openid email';
const REFRESH_MARGIN_MS = 60 * 1000;

let cfg = null;
let session = null; // {idToken, accessToken, refreshToken, expiresAt, claims}
const listeners = new Set();

export function configureAuth(config) {
  cfg = {
    clientId: config.userPoolClientId,
    authDomain: String(config.authDomain).replace(/\/+$/, ''),
    redirectUri: `${window.location.origin}/`,
    logoutUri: `${window.location.origin}/`,
  };
}

export function onAuthChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn(currentUser());
}

/** The signed-in user ({sub, name, email}) or null. */
export function currentUser() {
  if (!session) return null;
  const c = session.claims;
  return { sub: c.sub, email: c.email || '', name: c['cognito:username'] || c.name || c.email || c.sub };
}

/** Starts sign-in: redirects to the authorize endpoint; returnPath is restored afterwards. */
export async function signIn(returnPath = '/') {
  const verifier = randomString(32);
  const state = randomString(16);
  const nonce = randomString(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnPath, at: Date.now() }));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    scope: SCOPES,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  window.location.assign(`${cfg.authDomain}/oauth2/authorize?${params}`);
}

/**
 * Finishes a sign-in if the URL carries ?code&state (or ?error) from the authorize
 * endpoint. Returns null when there was nothing to do, else {returnPath} or {error}.
 */
export async function completeSignIn() {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('code');
  const state = url.searchParams.get('state');
  const error = url.searchParams.get('error');
  if (!code && !error) return null;

  const pending = readPending();
  sessionStorage.removeItem(PENDING_KEY);
  const returnPath = (pending && safePath(pending.returnPath)) || '/';
  // Never leave the code in the address bar or history.
  window.history.replaceState(null, '', returnPath);

  if (error) {
    return { error: `Sign-in failed: ${url.searchParams.get('error_description') || error}.` };
  }
  if (!pending || !state || pending.state !== state) {
    return { error: 'Sign-in could not be completed (the response did not match a sign-in started here). Please sign in again.' };
  }
  try {
    const tokens = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: cfg.clientId,
      code,
      redirect_uri: cfg.redirectUri,
      code_verifier: pending.verifier,
    });
    setSession(tokens, pending.nonce);
  } catch (err) {
    return { error: `Sign-in could not be completed: ${err.message}` };
  }
  return { returnPath };
}

/** The current ID token, refreshed first when it is about to expire; '' when signed out. */
export async function getIdToken() {
  if (!session) return '';
  if (Date.now() > session.expiresAt - REFRESH_MARGIN_MS && session.refreshToken) {
    try {
      const tokens = await tokenRequest({
        grant_type: 'refresh_token',
        client_id: cfg.clientId,
        refresh_token: session.refreshToken,
      });
      setSession({ ...tokens, refresh_token: tokens.refresh_token || session.refreshToken }, null);
    } catch {
      clearSession();
      return '';
    }
  }
  return session ? session.idToken : '';
}

/** Forgets the tokens (e.g. after the API refused them) without leaving the page. */
export function clearSession() {
  if (!session) return;
  session = null;
  changed();
}

/** Signs out: revokes the refresh token, forgets the tokens, ends the provider's session. */
export async function signOut() {
  const refreshToken = session && session.refreshToken;
  session = null;
  changed();
  if (refreshToken) {
    try {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 3000);
      await fetch(`${cfg.authDomain}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken, client_id: cfg.clientId }),
        credentials: 'omit',
        signal: ctl.signal,
      });
      clearTimeout(timer);
    } catch {
      // Best effort: the provider's session still ends below.
    }
  }
  const params = new URLSearchParams({ client_id: cfg.clientId, logout_uri: cfg.logoutUri });
  window.location.assign(`${cfg.authDomain}/logout?${params}`);
}

async function tokenRequest(form) {
  let res;
  try {
    res = await fetch(`${cfg.authDomain}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new Error('the sign-in service could not be reached.');
  }
  let data = {};
  try { data = await res.json(); } catch { data = {}; }
  if (!res.ok || !data.id_token) {
    throw new Error(data.error_description || data.error || `token endpoint answered HTTP ${res.status}.`);
  }
  return data;
}

function setSession(tokens, expectedNonce) {
  const claims = decodeJwt(tokens.id_token);
  if (!claims || claims.token_use !== 'id' || claims.aud !== cfg.clientId) {
    throw new Error('the identity token is not for this application.');
  }
  if (expectedNonce && claims.nonce !== expectedNonce) {
    throw new Error('the identity token does not match this sign-in.');
  }
  const expSeconds = Number(claims.exp) || (Date.now() / 1000 + Number(tokens.expires_in || 0));
  session = {
    idToken: tokens.id_token,
    accessToken: tokens.access_token || '',
    refreshToken: tokens.refresh_token || '',
    expiresAt: expSeconds * 1000,
    claims,
  };
  changed();
}

function readPending() {
  try {
    const p = JSON.parse(sessionStorage.getItem(PENDING_KEY) || 'null');
    // A sign-in left unfinished for more than 10 minutes is stale.
    if (p && Date.now() - p.at < 10 * 60 * 1000) return p;
  } catch {
    // ignore
  }
  return null;
}

/** Only same-origin absolute paths may be returned to (no open redirects). */
function safePath(p) {
  return typeof p === 'string' && p.startsWith('/') && !p.startsWith('//') ? p : '/';
}

function randomString(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes (does not verify: the API does) a JWT's payload. */
function decodeJwt(token) {
  try {
    const part = String(token).split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bin = atob(b64);
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}
