import { api } from '../api.js';
import { useLoad, ErrorBox, Empty, Loading, time } from '../components/ui.jsx';

/**
 * Base models and the tenant's fine-tuned models (/v1/models), each fine-tuned one with its job's recipe and the
 * trainer's before/after evaluation (the job's succeeded event).
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
            <ul>{base.map((m) => <li key={m.id}><code>{m.id}</code> <a href="#/playground" class="small">try it</a></li>)}</ul>
          </section>
          <section class="card">
            <h2>Fine-tuned models (adapters)</h2>
            {tuned.length === 0 ? (
              <Empty title="No fine-tuned models yet">A job that succeeds publishes its adapter here. Start one on
                the <a href="#/jobs">Jobs</a> page.</Empty>
            ) : (
              <table class="list">
                <thead><tr><th>model</th><th>method</th><th>created</th><th>evaluation (before → after)</th></tr></thead>
                <tbody>{tuned.map((m) => (
                  <tr key={m.id}>
                    <td><code>{m.id}</code>{m.job && <div class="small"><a href={`#/jobs/${m.job.id}`}>job {m.job.suffix || m.job.id}</a></div>}</td>
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
            <p class="muted small">Which adapters inference-service holds on the device or in its host cache right now is
              not part of the public API yet; its Prometheus metrics (<code>tooltune_adapter_cache_entries{'{'}tier{'}'}</code>)
              count them. Every listed model can be called: inference loads an adapter on its first request.</p>
          </section>
        </>
      )}
    </>
  );
}
