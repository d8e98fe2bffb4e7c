import { useState, useEffect } from 'preact/hooks';
import { api, upload } from '../api.js';
import { useLoad, ErrorBox, Empty, Loading } from '../components/ui.jsx';
import { Bars } from '../components/Bars.jsx';
import { Chat, ToolSchemas } from '../components/Chat.jsx';

const FINISHED = ['SUCCEEDED', 'REJECTED', 'FAILED'];

export function Datasets({ params }) {
  const [id] = params;
  const list = useLoad(() => api('/datasets'), []);
  return (
    <>
      <h1>Datasets</h1>
      <Upload onDone={list.reload} />
      {id ? <Dataset id={id} /> : (
        <section class="card">
          <h2>Your datasets</h2>
          <ErrorBox error={list.error} />
          {list.loading && !list.data && <Loading what="datasets" />}
          {list.data && list.data.length === 0 && (
            <Empty title="No datasets yet">
              Upload a JSON Lines file of tool-calling conversations above (OpenAI chat format, ShareGPT/Hermes or xLAM).
              Each line is checked against its tools' JSON Schemas; problems are listed by line and
              field. <code>samples/tool-calling-sample.jsonl</code> in the repository is a good first file.
            </Empty>
          )}
          {list.data && list.data.length > 0 && (
            <table class="list">
              <thead><tr><th>name</th><th>versions</th><th>latest</th><th>frozen</th><th>created</th></tr></thead>
              <tbody>{list.data.map((d) => (
                <tr key={d.id}>
                  <td><a href={`#/datasets/${d.id}`}>{d.name}</a>{d.description && <div class="muted small">{d.description}</div>}</td>
                  <td>{d.versionCount}</td><td>{d.latestVersion ?? '–'}</td><td>{d.latestFrozenVersion ?? '–'}</td>
                  <td class="small">{new Date(d.createdAt).toLocaleString()}</td>
                </tr>
              ))}</tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}

/**
 * Upload with a progress bar: the bytes sent (XMLHttpRequest upload progress), then, for a dataset, the server's
 * import progress (lines read) until its report with every problem by line, field and reason.
 * "Dataset": lenient import, valid lines kept. "Training file": OpenAI's /v1/files, strict, usable by jobs.
 */
function Upload({ onDone }) {
  const [file, setFile] = useState(null);
  const [kind, setKind] = useState('dataset');
  const [phase, setPhase] = useState(null);      // {label, fraction}
  const [report, setReport] = useState(null);
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);

  const start = async (e) => {
    e.preventDefault();
    if (!file) return;
    setError(null); setReport(null); setCreated(null);
    try {
      if (kind === 'file') {
        const form = new FormData();
        form.append('purpose', 'fine-tune');
        form.append('file', file);
        setPhase({ label: 'Uploading', fraction: 0 });
        const result = await upload('/files', form, { onProgress: (f) => setPhase({ label: 'Uploading', fraction: f }) });
        setCreated({ file: result });
      } else {
        const name = `${file.name.replace(/\.[^.]*$/, '')}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
        const dataset = await api('/datasets', { method: 'POST', json: { name, description: `uploaded from ${file.name}` } });
        setPhase({ label: 'Uploading', fraction: 0 });
        let job = await upload(`/datasets/${dataset.id}/imports?mode=lenient`, file, {
          contentType: 'application/x-ndjson', onProgress: (f) => setPhase({ label: 'Uploading', fraction: f }) });
        while (!FINISHED.includes(job.state)) {
          setPhase({ label: `Checking lines (${job.progress.linesRead.toLocaleString()} read)`, fraction: job.progress.percent / 100 });
          await new Promise((r) => setTimeout(r, 500));
          job = await api(`/dataset-imports/${job.id}`);
        }
        setReport(job);
        setCreated({ dataset });
      }
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setPhase(null);
    }
  };

  return (
    <section class="card">
      <h2>Upload</h2>
      <form onSubmit={start} class="row wrap">
        <label class="grow">JSON Lines file
          <input type="file" accept=".jsonl,.json,.txt,application/jsonl,application/x-ndjson" name="file"
            onChange={(e) => setFile(e.currentTarget.files[0] || null)} />
        </label>
        <label>as
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="dataset">dataset (valid lines kept, problems listed)</option>
            <option value="file">training file (every line must be valid)</option>
          </select>
        </label>
        <button type="submit" disabled={!file || !!phase}>Upload</button>
      </form>
      {phase && (
        <div class="progress" aria-live="polite">
          <label>{phase.label}: {Math.round(phase.fraction * 100)}%
            <progress max="1" value={phase.fraction}>{Math.round(phase.fraction * 100)}%</progress>
          </label>
        </div>
      )}
      <ErrorBox error={error} title="The upload was refused" />
      {created && created.file && (
        <p class="ok" role="status">Training file <code>{created.file.id}</code>: {created.file.tooltune_examples} conversations,
          every line valid. <a href={`#/jobs`}>Fine-tune on it</a></p>
      )}
      {report && (
        <div role="status">
          <p class={report.state === 'SUCCEEDED' ? 'ok' : 'warn'}>
            {report.state === 'SUCCEEDED'
              ? <>Version {report.versionNumber} of <a href={`#/datasets/${created.dataset.id}`}>{created.dataset.name}</a>: {report.examplesStored} examples stored, {report.invalidLines} invalid lines left out.</>
              : <>The file was {report.state.toLowerCase()}: {report.message}</>}
          </p>
          <Problems problems={report.problems} total={report.problemCount} truncated={report.problemsTruncated} />
        </div>
      )}
    </section>
  );
}

/** Every problem of an import: line, field (JSON path), reason; filterable by text and severity. */
export function Problems({ problems, total, truncated }) {
  const [filter, setFilter] = useState('');
  const [severity, setSeverity] = useState('all');
  if (!problems || problems.length === 0) return <p class="muted small">No problems: every line is valid.</p>;
  const needle = filter.trim().toLowerCase();
  const shown = problems.filter((p) => (severity === 'all' || p.severity === severity)
    && (!needle || `${p.line} ${p.path} ${p.reason}`.toLowerCase().includes(needle)));
  return (
    <div class="problems">
      <div class="row wrap">
        <label class="grow">Filter problems
          <input type="search" name="problem-filter" value={filter} placeholder="line, field or words of the reason"
            onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <label>severity
          <select value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
            <option value="all">all</option><option value="error">errors</option><option value="warning">warnings</option>
          </select>
        </label>
      </div>
      <p class="muted small">{shown.length} of {total ?? problems.length} problems shown{truncated ? ' (the first ones kept by the service)' : ''}</p>
      <table class="list problems-table">
        <thead><tr><th>line</th><th>field</th><th>reason</th><th>severity</th></tr></thead>
        <tbody>{shown.map((p, i) => (
          <tr key={i} class={p.severity}>
            <td>{p.line === 0 ? 'file' : p.line}</td><td><code>{p.path}</code></td><td>{p.reason}</td><td>{p.severity}</td>
          </tr>
        ))}</tbody>
      </table>
    </div>
  );
}

function Dataset({ id }) {
  const dataset = useLoad(() => api(`/datasets/${id}`), [id]);
  const versions = useLoad(() => api(`/datasets/${id}/versions`), [id]);
  const imports = useLoad(() => api(`/datasets/${id}/imports`), [id]);
  const [version, setVersion] = useState(null);
  const [freezeError, setFreezeError] = useState(null);
  useEffect(() => {
    if (versions.data && versions.data.length && version == null) setVersion(versions.data[versions.data.length - 1].number);
  }, [versions.data]);

  const freeze = async (number) => {
    setFreezeError(null);
    try { await api(`/datasets/${id}/versions/${number}/freeze`, { method: 'POST' }); versions.reload(); }
    catch (err) { setFreezeError(err); }
  };
  const latestImport = imports.data && imports.data[0];

  return (
    <>
      <p><a href="#/datasets">← all datasets</a></p>
      <ErrorBox error={dataset.error} />
      {dataset.data && (
        <section class="card">
          <h2>{dataset.data.name}</h2>
          {dataset.data.description && <p class="muted">{dataset.data.description}</p>}
          <h3>Versions</h3>
          <ErrorBox error={versions.error || freezeError} />
          {versions.data && versions.data.length === 0 && (
            <Empty title="No versions yet">An import that keeps at least one line makes version 1. Upload a file above.</Empty>
          )}
          {versions.data && versions.data.length > 0 && (
            <table class="list">
              <thead><tr><th>version</th><th>from</th><th>examples</th><th>invalid</th><th>frozen</th><th>created</th><th /></tr></thead>
              <tbody>{versions.data.map((v) => (
                <tr key={v.number} aria-selected={v.number === version}>
                  <td><button type="button" class="link" onClick={() => setVersion(v.number)}>v{v.number}</button></td>
                  <td>{v.origin.toLowerCase()}{v.parentNumber ? ` of v${v.parentNumber}` : ''}</td>
                  <td>{v.exampleCount}</td><td>{v.invalidCount}</td>
                  <td>{v.frozen ? `frozen ${new Date(v.frozenAt).toLocaleString()}` : '–'}</td>
                  <td class="small">{new Date(v.createdAt).toLocaleString()}</td>
                  <td>{!v.frozen && <button type="button" class="secondary small" onClick={() => freeze(v.number)}
                    title="A frozen version can no longer be deleted; train on frozen versions">Freeze v{v.number}</button>}</td>
                </tr>
              ))}</tbody>
            </table>
          )}
          {latestImport && latestImport.problems && latestImport.problems.length > 0 && (
            <details>
              <summary>Problems of the latest import ({latestImport.problemCount})</summary>
              <Problems problems={latestImport.problems} total={latestImport.problemCount} truncated={latestImport.problemsTruncated} />
            </details>
          )}
        </section>
      )}
      {version != null && <Statistics id={id} version={version} />}
      {version != null && <Examples id={id} version={version} />}
    </>
  );
}

function Statistics({ id, version }) {
  const stats = useLoad(() => api(`/datasets/${id}/versions/${version}/stats`), [id, version]);
  const s = stats.data;
  return (
    <section class="card">
      <h2>Statistics of v{version}</h2>
      <ErrorBox error={stats.error} />
      {s && (
        <>
          <dl class="facts">
            <div><dt>examples</dt><dd>{s.examples}</dd></div>
            <div><dt>tool calls</dt><dd>{s.toolCalls.total}</dd></div>
            <div><dt>abstentions</dt><dd>{s.examples ? Math.round((100 * s.toolCalls.examplesWithoutCalls) / s.examples) : 0}%
              <span class="muted small"> ({s.toolCalls.examplesWithoutCalls} answer without a call)</span></dd></div>
            <div><dt>parallel calls</dt><dd>{s.toolCalls.examplesWithParallelCalls}</dd></div>
            <div><dt>tokens p50 / p90 / max</dt><dd>{s.tokens && !s.tokens.unavailable ? `${s.tokens.p50} / ${s.tokens.p90} / ${s.tokens.max}` : '–'}</dd></div>
          </dl>
          <div class="grid2">
            <Bars title="Calls per tool" rows={Object.entries(s.toolCalls.perTool || {}).map(([label, value]) => ({ label, value }))} />
            <Bars title={`Gemma 3 tokens per example${s.tokens && s.tokens.pending ? ` (${s.tokens.pending} still being counted)` : ''}`}
              rows={(s.tokens && s.tokens.histogram || []).map((b) => ({ label: `${b.from}–${b.to}`, value: b.examples }))} />
            <Bars title="Answers: tool call or abstention" rows={[
              { label: 'with a tool call', value: s.toolCalls.examplesWithCalls },
              { label: 'abstains (text only)', value: s.toolCalls.examplesWithoutCalls }]} />
            <Bars title="Messages per example" rows={Object.entries(s.messages.perExample || {}).map(([label, value]) => ({ label: `${label} messages`, value }))} />
          </div>
          {s.tokens && s.tokens.unavailable && <p class="muted small">Token counts unavailable: {s.tokens.unavailable}</p>}
        </>
      )}
    </section>
  );
}

function Examples({ id, version }) {
  const [page, setPage] = useState(0);
  const [tool, setTool] = useState('');
  const size = 5;
  const examples = useLoad(() => api(`/datasets/${id}/versions/${version}/examples?page=${page}&size=${size}${tool ? `&tool=${encodeURIComponent(tool)}` : ''}`), [id, version, page, tool]);
  const data = examples.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / size)) : 1;
  return (
    <section class="card">
      <h2>Examples of v{version}</h2>
      <div class="row wrap">
        <label>Only calls of tool <input name="tool" value={tool} placeholder="tool name"
          onChange={(e) => { setPage(0); setTool(e.currentTarget.value.trim()); }} /></label>
        <span class="grow" />
        <button type="button" class="secondary small" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous</button>
        <span class="small">page {page + 1} of {pages}</span>
        <button type="button" class="secondary small" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>Next</button>
      </div>
      <ErrorBox error={examples.error} />
      {data && data.items.length === 0 && <Empty title="No examples here">No example of this version matches.</Empty>}
      {data && data.items.map((x) => (
        <article key={x.id} class="example">
          <header class="small muted">#{x.position + 1}{x.sourceLine ? ` · line ${x.sourceLine}` : ''} · {x.messageCount} messages
            {x.tokenCount ? ` · ${x.tokenCount} tokens` : ''}{!x.valid && <span class="bad"> · invalid</span>}</header>
          {x.problems && x.problems.length > 0 && <ul class="small bad">{x.problems.map((p, i) => <li key={i}>{p.path}: {p.reason}</li>)}</ul>}
          <Chat messages={x.example.messages || []} />
          <details><summary>Tools ({(x.example.tools || []).length})</summary><ToolSchemas tools={x.example.tools} /></details>
        </article>
      ))}
    </section>
  );
}
