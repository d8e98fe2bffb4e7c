import { useEffect, useState, useCallback } from 'preact/hooks';

/** Loads with `load()` whenever `deps` change; reload() loads again. */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const run = useCallback(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }));
    return () => { live = false; };
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** An error as the API gave it: its message, code and field; never a stack trace. */
export function ErrorBox({ error, title }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{title || (error.status ? `The API answered ${error.status}` : 'Something went wrong')}</strong>
      <p>{error.message}</p>
      {(error.code || error.param) && (
        <p class="muted small">{error.code && <>code <code>{error.code}</code> </>}{error.param && <>field <code>{error.param}</code></>}</p>
      )}
      {error.details && error.details.length > 0 && (
        <ul class="small">{error.details.slice(0, 20).map((d, i) => <li key={i}>{typeof d === 'string' ? d : JSON.stringify(d)}</li>)}</ul>
      )}
    </div>
  );
}

/** An empty state says what is missing and what to do next. */
export function Empty({ title, children }) {
  return (
    <div class="empty">
      <strong>{title}</strong>
      <div>{children}</div>
    </div>
  );
}

export function Loading({ what }) {
  return <p class="muted" aria-live="polite">Loading {what}…</p>;
}

export function time(seconds) {
  if (seconds == null) return '';
  return new Date(seconds * 1000).toLocaleString();
}

export function duration(seconds) {
  if (seconds == null || !isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function Copy({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // no clipboard permission (plain http on another host): select the text for Ctrl-C instead
      const area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select();
      document.execCommand('copy'); area.remove();
    }
    setDone(true); setTimeout(() => setDone(false), 1500);
  };
  return <button type="button" class="secondary" onClick={copy}>{done ? 'Copied' : label}</button>;
}
