import { api } from '../api.js';
import { useLoad, ErrorBox, Empty, Loading, time } from '../components/ui.jsx';

/** inference-service's load state of a model (`tooltune.loaded` of its /v1/models entry), in words. */
const LOADED = {
  device: ['loaded on the device', 'In the inference engine (on the GPU where there is one): the next request starts at once.'],
  host: ['in host memory', 'Its files are in the host cache: the next request loads it into the engine first.'],
  none: ['not loaded', 'Fetched from the artifact store and loaded on its next request.'],
};

function Loaded({ model }) {
  const state = model.tooltune && LOADED[model.tooltune.loaded];
  if (!state) return <span class="muted" title="inference-service could not be asked">unknown</span>;
  return <span class={`loaded ${model.tooltune.loaded}`} title={state[1]}>{state[0]}</span>;
}

/**
 * Base models and the tenant's fine-tuned models (/v1/models), each fine-tuned one with where inference holds it
 * now, its job's recipe and the trainer's before/after evaluation (the job's succeeded event).
 */
export function Models() {
  const models = useLoad(async () => {
    const [list, jobs] = await Promise.all([api('/models'), api('/fine_tuning/jobs?limit=100')]);
    const byModel = new Map(jobs.data.filter((j) => j.fine_tuned_model).map((j) => [j.fine_tuned_model, j]));
    const rows = await Promise.all(list.data.map(async (m) => {
      const job = byModel.get(m.id);
      let evaluation = null;
      if (job) {
        const events = await api(`/fine_tuning/jobs/${job.id}/events?limit=10`).catch(() => ({ data: [] }));
        const found = events.data.find((e) => e.data && Object.keys(e.data).some((k) => /_(before|after)$/.test(k)));
        evaluation = found ? found.data : null;
      }
      return { ...m, job, evaluation };
    }));
    return rows;
  }, []);
  const rows = models.data || [];
  const base = rows.filter((m) => !m.id.startsWith('ft:'));
  const tuned = rows.filter((m) => m.id.startsWith('ft:'));
  return (
    <>
      <h1>Models and adapters</h1>
      <ErrorBox error={models.error} />
      {models.loading && !models.data && <Loading what="models" />}
      {models.data && (
        <>
          <section class="card">
            <h2>Base models</h2>
            <ul>{base.map((m) => <li key={m.id}><code>{m.id}</code> <span class="small">(<Loaded model={m} />)</span> <a href="#/playground" class="small">try it</a></li>)}</ul>
          </section>
          <section class="card">
            <h2>Fine-tuned models (adapters)</h2>
            {tuned.length === 0 ? (
              <Empty title="No fine-tuned models yet">A job that succeeds publishes its adapter here. Start one on
                the <a href="#/jobs">Jobs</a> page.</Empty>
            ) : (
              <table class="list">
                <thead><tr><th>model</th><th>in inference</th><th>method</th><th>created</th><th>evaluation (before → after)</th></tr></thead>
                <tbody>{tuned.map((m) => (
                  <tr key={m.id}>
                    <td><code>{m.id}</code>{m.job && <div class="small"><a href={`#/jobs/${m.job.id}`}>job {m.job.suffix || m.job.id}</a></div>}</td>
                    <td class="small"><Loaded model={m} /></td>
                    <td>{m.job ? m.job.tooltune.method : '–'}</td>
                    <td class="small">{time(m.created)}</td>
                    <td class="small">{m.evaluation ? Object.keys(m.evaluation).filter((k) => k.endsWith('_after')).map((k) => {
                      const name = k.replace(/_after$/, '');
                      const before = m.evaluation[`${name}_before`];
                      return <div key={k}>{name.replace(/_/g, ' ')}: {before == null ? '–' : (+before).toFixed(3)} → <strong>{(+m.evaluation[k]).toFixed(3)}</strong></div>;
                    }) : '–'}</td>
                  </tr>
                ))}</tbody>
              </table>
            )}
            <p class="muted small">"In inference" is where inference-service holds the adapter as this page loaded:
              loaded on the device, in its host cache, or not loaded. Every listed model can be called: inference loads
              an adapter on its first request, and evicts the least recently used when its cache is full.</p>
          </section>
        </>
      )}
    </>
  );
}
