import { useEffect, useRef, useState } from 'preact/hooks';
import { api, stream } from '../api.js';
import { useLoad, ErrorBox, Empty, Loading, time, duration } from '../components/ui.jsx';
import { LossChart } from '../components/LossChart.jsx';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

export function Jobs({ params }) {
  const [id] = params;
  const jobs = useLoad(() => api('/fine_tuning/jobs?limit=50'), []);
  return (
    <>
      <h1>Fine-tuning jobs</h1>
      {id ? <Job id={id} onChange={jobs.reload} /> : <CreateJob onCreated={(job) => { jobs.reload(); location.hash = `#/jobs/${job.id}`; }} />}
      <section class="card">
        <h2>Your jobs</h2>
        <ErrorBox error={jobs.error} />
        {jobs.loading && !jobs.data && <Loading what="jobs" />}
        {jobs.data && jobs.data.data.length === 0 && (
          <Empty title="No jobs yet">
            Create one with the form above: pick a training file (upload one on the <a href="#/datasets">Datasets</a> page
            as a training file), keep the defaults, and watch its loss curve here.
          </Empty>
        )}
        {jobs.data && jobs.data.data.length > 0 && (
          <table class="list">
            <thead><tr><th>job</th><th>status</th><th>base model</th><th>method</th><th>fine-tuned model</th><th>created</th></tr></thead>
            <tbody>{jobs.data.data.map((j) => (
              <tr key={j.id} aria-selected={j.id === id}>
                <td><a href={`#/jobs/${j.id}`}>{j.suffix || j.id}</a><div class="muted small">{j.id}</div></td>
                <td><Status status={j.status} /></td><td class="small">{j.model}</td><td>{j.tooltune && j.tooltune.method}</td>
                <td class="small">{j.fine_tuned_model ? <code>{j.fine_tuned_model}</code> : '–'}</td>
                <td class="small">{time(j.created_at)}</td>
              </tr>
            ))}</tbody>
          </table>
        )}
      </section>
    </>
  );
}

function Status({ status }) {
  return <span class={`status ${status}`}>{status.replace('_', ' ')}</span>;
}

/** A job from a form whose defaults are the gateway's (LoRA rank 16, alpha 32, 3 epochs, learning rate 2e-4). */
function CreateJob({ onCreated }) {
  const models = useLoad(() => api('/models'), []);
  const files = useLoad(() => api('/files'), []);
  const [form, setForm] = useState({ model: '', training_file: '', validation_file: '', suffix: '', method: 'lora',
    epochs: 3, learning_rate: 2e-4, batch_size: 4, rank: 16, alpha: 32 });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });
  const bases = models.data ? models.data.data.filter((m) => !m.id.startsWith('ft:')) : [];
  const usable = files.data ? files.data.data.filter((f) => f.purpose === 'fine-tune' && f.status === 'processed') : [];
  useEffect(() => {
    if (!form.model && bases.length) setForm((f) => ({ ...f, model: bases[0].id }));
  }, [models.data]);
  useEffect(() => {
    if (!form.training_file && usable.length) setForm((f) => ({ ...f, training_file: usable[0].id }));
  }, [files.data]);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    const tooltune = { method: form.method, learning_rate: Number(form.learning_rate) };
    if (form.method !== 'full') tooltune.lora = { rank: Number(form.rank), alpha: Number(form.alpha) };
    const request = {
      model: form.model, training_file: form.training_file,
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: Number(form.epochs), batch_size: Number(form.batch_size) } } },
      tooltune,
    };
    if (form.validation_file) request.validation_file = form.validation_file;
    if (form.suffix.trim()) request.suffix = form.suffix.trim();
    try {
      onCreated(await api('/fine_tuning/jobs', { method: 'POST', json: request }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card">
      <h2>New job</h2>
      <ErrorBox error={models.error || files.error} />
      {files.data && usable.length === 0 && (
        <Empty title="No training file yet">A job trains on a training file: upload one on
          the <a href="#/datasets">Datasets</a> page with “as training file”.</Empty>
      )}
      <form onSubmit={submit} class="form-grid" aria-label="New fine-tuning job">
        <label>Base model
          <select name="model" value={form.model} onChange={set('model')} required>
            {bases.map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
          </select></label>
        <label>Training file
          <select name="training_file" value={form.training_file} onChange={set('training_file')} required>
            {usable.map((f) => <option key={f.id} value={f.id}>{f.filename} · {f.tooltune_examples ?? '?'} examples · {f.id}</option>)}
          </select></label>
        <label>Validation file (optional)
          <select name="validation_file" value={form.validation_file} onChange={set('validation_file')}>
            <option value="">none</option>
            {usable.map((f) => <option key={f.id} value={f.id}>{f.filename} · {f.id}</option>)}
          </select></label>
        <label>Name (suffix)
          <input name="suffix" value={form.suffix} onInput={set('suffix')} placeholder="e.g. support-bot" pattern="[A-Za-z0-9._\-]{1,64}" /></label>
        <label>Method
          <select name="method" value={form.method} onChange={(e) => {
            const method = e.currentTarget.value;
            setForm({ ...form, method, learning_rate: method === 'full' ? 1e-5 : (form.method === 'full' ? 2e-4 : form.learning_rate) });
          }}>
            <option value="lora">LoRA</option><option value="qlora">QLoRA (4-bit base)</option><option value="full">full fine-tune</option>
          </select></label>
        <label>Epochs <input name="epochs" type="number" min="1" max="1000" value={form.epochs} onInput={set('epochs')} required /></label>
        <label>Learning rate <input name="learning_rate" type="number" step="any" min="0" value={form.learning_rate} onInput={set('learning_rate')} required /></label>
        <label>Batch size <input name="batch_size" type="number" min="1" max="1024" value={form.batch_size} onInput={set('batch_size')} required /></label>
        {form.method !== 'full' && <>
          <label>LoRA rank <input name="rank" type="number" min="1" max="1024" value={form.rank} onInput={set('rank')} required /></label>
          <label>LoRA alpha <input name="alpha" type="number" min="1" step="any" value={form.alpha} onInput={set('alpha')} required /></label>
        </>}
        <div class="actions"><button type="submit" disabled={busy || !form.training_file}>{busy ? 'Creating…' : 'Create job'}</button></div>
      </form>
      <ErrorBox error={error} title="The job was refused" />
    </section>
  );
}

/**
 * One job: its status, ETA and the live loss/learning-rate curve. The curve is fed by the job's SSE event stream,
 * which replays the job's whole history first, so a reload draws the same curve and goes on from there.
 */
function Job({ id, onChange }) {
  const job = useLoad(() => api(`/fine_tuning/jobs/${id}`), [id]);
  const [points, setPoints] = useState([]);
  const [events, setEvents] = useState([]);
  const [streamError, setStreamError] = useState(null);
  const [cancelError, setCancelError] = useState(null);
  const [live, setLive] = useState(false);
  const reloadJob = useRef(job.reload);
  reloadJob.current = job.reload;

  useEffect(() => {
    setPoints([]); setEvents([]); setStreamError(null);
    const abort = new AbortController();
    let pending = [];
    let flush = null;
    // many events at once (a replay): draw them in one go
    const schedule = () => { flush = flush || setTimeout(() => {
      const batch = pending; pending = []; flush = null;
      setEvents((old) => [...batch.slice().reverse(), ...old]);
      const metrics = batch.filter((e) => e.type === 'metrics' && e.data && e.data.step != null).map((e) => e.data);
      if (metrics.length) setPoints((old) => mergePoints(old, metrics));
      if (batch.some((e) => e.type !== 'metrics')) { reloadJob.current(); onChange(); }
    }, 100); };
    setLive(true);
    stream(`/fine_tuning/jobs/${id}/events?stream=true`, { signal: abort.signal, onData: (event) => { pending.push(event); schedule(); } })
      .catch((err) => { if (err.name !== 'AbortError') setStreamError(err); })
      .finally(() => { if (!abort.signal.aborted) { setLive(false); reloadJob.current(); } });
    return () => { abort.abort(); clearTimeout(flush); };
  }, [id]);

  const cancel = async () => {
    setCancelError(null);
    try { await api(`/fine_tuning/jobs/${id}/cancel`, { method: 'POST' }); job.reload(); onChange(); }
    catch (err) { setCancelError(err); }
  };

  const j = job.data;
  const last = points[points.length - 1];
  const finished = j && FINISHED.includes(j.status);
  const eta = j && !finished ? (j.estimated_finish ? j.estimated_finish - Date.now() / 1000 : last && last.eta_seconds) : null;
  const evaluation = events.map((e) => e.data).find((d) => d && Object.keys(d).some((k) => /_(before|after)$/.test(k)));

  return (
    <section class="card job">
      <p><a href="#/jobs">← new job</a></p>
      <ErrorBox error={job.error} />
      {j && (
        <>
          <div class="row wrap">
            <h2 class="grow">{j.suffix || j.id} <Status status={j.status} /></h2>
            {!finished && <button type="button" class="danger" onClick={cancel}>Cancel job</button>}
          </div>
          <ErrorBox error={cancelError} title="The job could not be cancelled" />
          {j.error && j.error.message && <div class="error" role="alert"><strong>{j.error.code}</strong><p>{j.error.message}</p></div>}
          <dl class="facts">
            <div><dt>job</dt><dd><code>{j.id}</code></dd></div>
            <div><dt>base model</dt><dd>{j.model}</dd></div>
            <div><dt>method</dt><dd>{j.tooltune.method}{j.tooltune.lora ? `, rank ${j.tooltune.lora.rank}, alpha ${j.tooltune.lora.alpha}` : ''}</dd></div>
            <div><dt>epochs · batch · lr</dt><dd>{j.hyperparameters.n_epochs} · {j.hyperparameters.batch_size} · {j.tooltune.learning_rate}</dd></div>
            <div><dt>progress</dt><dd>{last ? `step ${last.step} of ${last.total_steps}` : '–'}{live && !finished ? ' (live)' : ''}</dd></div>
            <div><dt>ETA</dt><dd data-testid="eta">{finished ? (j.finished_at ? `finished ${time(j.finished_at)}` : 'finished') : duration(eta)}</dd></div>
            {last && last.tokens_per_second != null && <div><dt>tokens/s</dt><dd>{Math.round(last.tokens_per_second)}</dd></div>}
            {j.fine_tuned_model && <div><dt>fine-tuned model</dt><dd><code>{j.fine_tuned_model}</code> <a href="#/playground">try it</a></dd></div>}
          </dl>
          {last && last.total_steps ? <progress max={last.total_steps} value={last.step} aria-label="training progress" /> : null}
          <LossChart points={points} />
          <ErrorBox error={streamError} title="The event stream stopped" />
          {evaluation && <Evaluation metrics={evaluation} />}
          <Checkpoints id={id} status={j.status} />
          <details open={!finished}>
            <summary>Events ({events.length})</summary>
            <ol class="events small">{events.slice(0, 100).map((e) => (
              <li key={e.id} class={e.level}><time>{time(e.created_at)}</time> {e.message}</li>
            ))}</ol>
          </details>
        </>
      )}
    </section>
  );
}

/** Steps in order, one point per step (a replayed stream after a reconnect brings the same steps again). */
function mergePoints(old, fresh) {
  const byStep = new Map(old.map((p) => [p.step, p]));
  for (const p of fresh) byStep.set(p.step, { ...byStep.get(p.step), ...p });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** The trainer's evaluation of tool calls before and after training (metrics named x_before / x_after). */
function Evaluation({ metrics }) {
  const names = [...new Set(Object.keys(metrics).filter((k) => /_(before|after)$/.test(k)).map((k) => k.replace(/_(before|after)$/, '')))];
  return (
    <div>
      <h3>Before and after training</h3>
      <table class="list">
        <thead><tr><th>metric</th><th>before</th><th>after</th></tr></thead>
        <tbody>{names.map((n) => (
          <tr key={n}><td>{n.replace(/_/g, ' ')}</td><td>{fmt(metrics[`${n}_before`])}</td><td><strong>{fmt(metrics[`${n}_after`])}</strong></td></tr>
        ))}</tbody>
      </table>
    </div>
  );
}

function fmt(v) { return v == null ? '–' : Number(v).toFixed(4); }

function Checkpoints({ id, status }) {
  const checkpoints = useLoad(() => api(`/fine_tuning/jobs/${id}/checkpoints`), [id, status]);
  if (!checkpoints.data || checkpoints.data.data.length === 0) {
    return checkpoints.error ? <ErrorBox error={checkpoints.error} /> : <p class="muted small">Checkpoints: the trained adapter appears here once the job has succeeded.</p>;
  }
  return (
    <div>
      <h3>Checkpoints</h3>
      <table class="list small">
        <thead><tr><th>checkpoint</th><th>step</th><th>model</th><th>metrics</th></tr></thead>
        <tbody>{checkpoints.data.data.map((c) => (
          <tr key={c.id}><td><code>{c.id}</code></td><td>{c.step_number}</td><td><code>{c.fine_tuned_model_checkpoint}</code></td>
            <td>{Object.entries(c.metrics || {}).filter(([k]) => k !== 'step').map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toFixed(4) : v}`).join(', ')}</td></tr>
        ))}</tbody>
      </table>
    </div>
  );
}
