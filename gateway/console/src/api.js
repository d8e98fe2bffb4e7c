// The console's only door to ToolTune: the gateway's public /v1 API with the user's API key.
// The key lives in sessionStorage (this tab, until it closes); it never goes into a URL.

const KEY = 'tooltune.apiKey';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  login: (key) => sessionStorage.setItem(KEY, key.trim()),
  logout: () => sessionStorage.removeItem(KEY),
};

/** An error as the API gave it: OpenAI's {"error":{message,code,param}} or dataset-service's RFC 7807 problem. */
export class ApiError extends Error {
  constructor(status, body, text) {
    const error = body && body.error && typeof body.error === 'object' ? body.error : null;
    const message = (error && error.message) || (body && (body.detail || body.title))
      || (text && text.slice(0, 500)) || `HTTP ${status}`;
    super(message);
    this.status = status;
    this.code = (error && error.code) || null;
    this.param = (error && error.param) || null;
    // dataset-service lists several problems of one request in "errors"
    this.details = (body && Array.isArray(body.errors) ? body.errors : []);
    this.body = body;
  }
}

function headers(extra) {
  return { Authorization: `Bearer ${session.key()}`, ...extra };
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text */ }
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent('tooltune:unauthorized'));
    throw new ApiError(response.status, body, text);
  }
  return body;
}

/** GET/POST/DELETE a /v1 path; `json` is sent as the JSON body. */
export async function api(path, { method = 'GET', json, body, contentType, signal } = {}) {
  const init = { method, headers: headers(), signal };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
    if (contentType) init.headers['Content-Type'] = contentType;
  }
  return parse(await fetch(`/v1${path}`, init));
}

/** Uploads with XMLHttpRequest, the one browser API that reports upload progress: onProgress(0..1). */
export function upload(path, body, { onProgress, contentType } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1${path}`);
    xhr.setRequestHeader('Authorization', `Bearer ${session.key()}`);
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let parsed = null;
      try { parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { /* text */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(parsed);
      else reject(new ApiError(xhr.status, parsed, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, null, 'The gateway could not be reached.'));
    xhr.send(body);
  });
}

/**
 * Reads a Server-Sent Events answer of a /v1 path (EventSource cannot send the Authorization header, so this is
 * fetch + a stream reader): onData(parsed JSON) for each `data:` line, until `[DONE]`, the end, or abort.
 */
export async function stream(path, { method = 'GET', json, signal, onData, onRaw }) {
  const init = { method, headers: headers({ Accept: 'text/event-stream' }), signal };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(`/v1${path}`, init);
  if (!response.ok) return parse(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const text = decoder.decode(value, { stream: true });
    if (onRaw) onRaw(text);
    buffer += text;
    let end;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = buffer.slice(end + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') return;
      try { onData(JSON.parse(data)); } catch (e) { if (!(e instanceof SyntaxError)) throw e; }
    }
  }
}
