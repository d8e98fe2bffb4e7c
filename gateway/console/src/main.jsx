import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, session } from './api.js';
import { ErrorBox } from './components/ui.jsx';
import { Datasets } from './pages/Datasets.jsx';
import { Jobs } from './pages/Jobs.jsx';
import { Models } from './pages/Models.jsx';
import { Playground } from './pages/Playground.jsx';

const PAGES = [
  ['datasets', 'Datasets', Datasets],
  ['jobs', 'Jobs', Jobs],
  ['models', 'Models', Models],
  ['playground', 'Playground', Playground],
];

/** The route is the URL's fragment (#/jobs/ftjob-1): reloads and links keep the page; it never holds the key. */
function useRoute() {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'datasets').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const change = () => setRoute(read());
    addEventListener('hashchange', change);
    return () => removeEventListener('hashchange', change);
  }, []);
  return route;
}

export function navigate(...parts) {
  location.hash = '#/' + parts.map(encodeURIComponent).join('/');
}

function Login({ onLogin }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    session.login(key);
    try {
      await api('/models');   // any /v1 call tells whether the key is live
      onLogin();
    } catch (err) {
      session.logout();
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>ToolTune console</h1>
      <form onSubmit={submit} class="card">
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" required placeholder="tt-…"
          value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <button type="submit" disabled={busy || !key.trim()}>{busy ? 'Checking…' : 'Sign in'}</button>
        <ErrorBox error={error} title="This key was not accepted" />
        <p class="muted small">
          The key stays in this browser tab's session storage and is sent only as the <code>Authorization</code> header
          of <code>/v1</code> calls. <code>scripts/stack.sh up</code> prints a login key; more come
          from <code>scripts/admin.sh create-key --tenant NAME</code>.
        </p>
      </form>
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(!!session.key());
  const route = useRoute();
  useEffect(() => {
    const out = () => { session.logout(); setSignedIn(false); };
    addEventListener('tooltune:unauthorized', out);
    return () => removeEventListener('tooltune:unauthorized', out);
  }, []);
  if (!signedIn) return <Login onLogin={() => setSignedIn(true)} />;
  const [page, ...rest] = route;
  const current = PAGES.find(([id]) => id === page) || PAGES[0];
  const Page = current[2];
  const key = session.key() || '';
  return (
    <>
      <header class="top">
        <a class="brand" href="#/datasets">ToolTune</a>
        <nav aria-label="Console">
          {PAGES.map(([id, label]) => (
            <a key={id} href={`#/${id}`} aria-current={id === current[0] ? 'page' : undefined}>{label}</a>
          ))}
        </nav>
        <span class="who muted small" title="the API key of this session">{key.slice(0, 7)}…</span>
        <button type="button" class="secondary small" onClick={() => { session.logout(); setSignedIn(false); }}>Sign out</button>
      </header>
      <main id="page" key={current[0]}>
        <Page params={rest} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app'));
