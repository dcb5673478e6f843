// The notes API client. Every call sends the bare ID token as "Authorization: <token>",
// which is what API Gateway's Cognito user pool authorizer of a REST API reads.
// Errors come back as ApiError with the HTTP status and, where the API sent one, its
// {"error":{"code","message","requestId"}} body (or API Gateway's own {"message"}).

export class ApiError extends Error {
  constructor(status, code, message, requestId, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.body = body;
  }
}

export function createApi({ baseUrl, getToken, onUnauthorized }) {
  const base = String(baseUrl || '/api').replace(/\/+$/, '');

  async function request(method, path, { body, headers = {}, query, auth = true } = {}) {
    const h = { Accept: 'application/json', ...headers };
    if (auth) {
      const token = await getToken();
      if (token) h.Authorization = token;
    }
    let payload;
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let url = base + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
      }
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    let res;
    try {
      res = await fetch(url, { method, headers: h, body: payload, cache: 'no-store', credentials: 'omit' });
    } catch (err) {
      throw new ApiError(0, 'NetworkError', 'The service could not be reached. Check your connection and try again.', '', null);
    }
    let data = null;
    const text = await res.text();
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const message = e.message || (data && data.message) || `Request failed (HTTP ${res.status}).`;
      const err = new ApiError(res.status, e.code || '', message,
        e.requestId || res.headers.get('x-amzn-requestid') || '', data);
      if (res.status === 401 && auth && onUnauthorized) onUnauthorized(err);
      throw err;
    }
    return { status: res.status, data, etag: res.headers.get('ETag'), location: res.headers.get('Location') };
  }

  return {
    health: () => request('GET', '/health', { auth: false }).then((r) => r.data),

    /** Lists the caller's notes, newest first: {notes, nextCursor}. */
    async listNotes({ limit, cursor, tag } = {}) {
      const { data } = await request('GET', '/notes', { query: { limit, cursor, tag } });
      // The API answers {"items": [...], "nextCursor": "..."}; nextCursor is absent on the last page.
      return { notes: (data && data.items) || [], nextCursor: (data && data.nextCursor) || '' };
    },

    /** Reads one note: {note, etag}. */
    async getNote(id) {
      const { data, etag } = await request('GET', `/notes/${encodeURIComponent(id)}`);
      const note = data;
      return { note, etag: etag || versionTag(note) };
    },

    /** Creates a note; the idempotency key makes a retried submit create it only once. */
    async createNote(input, idempotencyKey) {
      const headers = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};
      const { data, etag, location } = await request('POST', '/notes', { body: input, headers });
      const note = data;
      return { note, etag: etag || versionTag(note), location };
    },

    /** Replaces a note if it is still at the version the ETag names (else 412). */
    async updateNote(id, input, etag) {
      const { data, etag: newTag } = await request('PUT', `/notes/${encodeURIComponent(id)}`,
        { body: input, headers: { 'If-Match': etag } });
      const note = data;
      return { note, etag: newTag || versionTag(note) };
    },

    async deleteNote(id, etag) {
      const headers = etag ? { 'If-Match': etag } : {};
      await request('DELETE', `/notes/${encodeURIComponent(id)}`, { headers });
    },
  };
}

function versionTag(note) {
  return note && note.version !== undefined ? `"${note.version}"` : '';
}
