import { useState } from 'preact/hooks';
import { api, stream, ApiError } from '../api.js';
import { useLoad, ErrorBox, Copy } from '../components/ui.jsx';
import { Chat } from '../components/Chat.jsx';
import { snippets } from './snippets.js';

const SAMPLE_TOOLS = [
  { type: 'function', function: { name: 'get_weather', description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] } } },
  { type: 'function', function: { name: 'lookup_crm_contact', description: 'Find the contact person of a company',
    parameters: { type: 'object', properties: { company: { type: 'string' } }, required: ['company'] } } },
];

/** Chat with any model the key may use, with tools, every tool_choice mode, and the raw exchange one click away. */
export function Playground() {
  const models = useLoad(() => api('/models'), []);
  const datasets = useLoad(() => api('/datasets'), []);
  const [model, setModel] = useState('');
  const [toolsText, setToolsText] = useState(JSON.stringify(SAMPLE_TOOLS, null, 2));
  const [choice, setChoice] = useState('auto');
  const [streaming, setStreaming] = useState(true);
  const [temperature, setTemperature] = useState(0);
  const [maxTokens, setMaxTokens] = useState(128);
  const [system, setSystem] = useState('');
  const [input, setInput] = useState('');
  const [messages, setMessages] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [raw, setRaw] = useState(null);         // {request, response}
  const [toolsError, setToolsError] = useState(null);

  const chosenModel = model || (models.data && models.data.data[0] && models.data.data[0].id) || '';
  let tools = [];
  let toolsProblem = null;
  try {
    tools = toolsText.trim() ? JSON.parse(toolsText) : [];
    if (!Array.isArray(tools)) toolsProblem = 'Tools must be a JSON array of {"type":"function","function":{...}}.';
  } catch (e) { toolsProblem = `Tools are not valid JSON: ${e.message}`; }
  const toolNames = Array.isArray(tools) ? tools.map((t) => t && t.function && t.function.name).filter(Boolean) : [];

  const loadToolsOf = async (datasetId) => {
    setToolsError(null);
    try {
      const page = await api(`/datasets/${datasetId}/versions/latest/examples?page=0&size=20`);
      const withTools = page.items.find((x) => x.example.tools && x.example.tools.length);
      if (!withTools) throw new ApiError(0, null, 'The first examples of this dataset have no tools.');
      setToolsText(JSON.stringify(withTools.example.tools, null, 2));
    } catch (err) { setToolsError(err); }
  };

  const request = (history) => {
    const turns = history.map(clean);
    const body = { model: chosenModel, messages: [...(system.trim() ? [{ role: 'system', content: system }] : []), ...turns],
      temperature: Number(temperature), max_tokens: Number(maxTokens), stream: streaming };
    if (tools.length) {
      body.tools = tools;
      body.tool_choice = choice.startsWith('function:') ? { type: 'function', function: { name: choice.slice(9) } } : choice;
    }
    return body;
  };

  const send = async (history) => {
    const body = request(history);
    setMessages(history); setBusy(true); setError(null);
    setRaw({ request: body, response: '' });
    try {
      if (!body.stream) {
        const answer = await api('/chat/completions', { method: 'POST', json: body });
        setRaw({ request: body, response: JSON.stringify(answer, null, 2) });
        setMessages([...history, answer.choices[0].message]);
        return;
      }
      let reply = { role: 'assistant', content: '', tool_calls: [] };
      let text = '';
      setMessages([...history, reply]);
      await stream('/chat/completions', { method: 'POST', json: body,
        onRaw: (chunk) => { text += chunk; setRaw({ request: body, response: text }); },
        onData: (chunk) => {
          const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
          if (!delta) return;
          reply = merge(reply, delta);
          setMessages([...history, reply]);
        } });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const submit = (e) => {
    e.preventDefault();
    if (!input.trim() || toolsProblem) return;
    const history = [...messages, { role: 'user', content: input }];
    setInput('');
    send(history);
  };

  const last = messages[messages.length - 1];
  const openCalls = last && last.role === 'assistant' ? (last.tool_calls || []) : [];

  return (
    <>
      <h1>Playground</h1>
      <div class="grid-play">
        <section class="card settings" aria-label="Request settings">
          <label>Model
            <select name="model" value={chosenModel} onChange={(e) => setModel(e.currentTarget.value)}>
              {(models.data ? models.data.data : []).map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
            </select></label>
          <ErrorBox error={models.error} />
          <label>tool_choice
            <select name="tool_choice" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
              <option value="auto">auto: the model decides</option>
              <option value="none">none: text only</option>
              <option value="required">required: at least one tool call</option>
              {toolNames.map((n) => <option key={n} value={`function:${n}`}>function: {n}</option>)}
            </select></label>
          <label>Tools (JSON)
            <textarea name="tools" rows="10" spellcheck={false} value={toolsText} onInput={(e) => setToolsText(e.currentTarget.value)} /></label>
          {toolsProblem && <p class="bad small" role="alert">{toolsProblem}</p>}
          <div class="row wrap">
            <button type="button" class="secondary small" onClick={() => setToolsText(JSON.stringify(SAMPLE_TOOLS, null, 2))}>Sample tools</button>
            <button type="button" class="secondary small" onClick={() => setToolsText('[]')}>No tools</button>
            {datasets.data && datasets.data.length > 0 && (
              <select aria-label="Tools of a dataset" onChange={(e) => e.currentTarget.value && loadToolsOf(e.currentTarget.value)}>
                <option value="">tools of a dataset…</option>
                {datasets.data.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
              </select>
            )}
          </div>
          <ErrorBox error={toolsError} />
          <label>System prompt <textarea name="system" rows="2" value={system} onInput={(e) => setSystem(e.currentTarget.value)} /></label>
          <div class="row wrap">
            <label>temperature <input type="number" step="0.1" min="0" max="2" value={temperature} onInput={(e) => setTemperature(e.currentTarget.value)} /></label>
            <label>max_tokens <input type="number" min="1" max="4096" value={maxTokens} onInput={(e) => setMaxTokens(e.currentTarget.value)} /></label>
            <label class="check"><input type="checkbox" checked={streaming} onChange={(e) => setStreaming(e.currentTarget.checked)} /> stream</label>
          </div>
        </section>
        <section class="card conversation" aria-label="Conversation">
          {messages.length === 0 && <p class="muted">Ask something the tools can answer, e.g. “What's the weather in Paris?”.
            With <code>required</code> the answer is always a tool call whose arguments match the tool's schema.</p>}
          <Chat messages={messages} streaming={busy} />
          <ErrorBox error={error} title="The chat request failed" />
          {!busy && openCalls.map((call) => <ToolResult key={call.id} call={call}
            onSubmit={(content) => send([...messages, { role: 'tool', tool_call_id: call.id, content }])} />)}
          <form onSubmit={submit} class="row">
            <label class="grow sr-label">Message
              <textarea name="message" rows="2" value={input} placeholder="Message"
                onInput={(e) => setInput(e.currentTarget.value)}
                onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) submit(e); }} /></label>
            <button type="submit" disabled={busy || !input.trim() || !!toolsProblem || !chosenModel}>{busy ? 'Answering…' : 'Send'}</button>
            <button type="button" class="secondary" disabled={busy} onClick={() => { setMessages([]); setRaw(null); setError(null); }}>Clear</button>
          </form>
          {raw && <Raw raw={raw} />}
        </section>
      </div>
    </>
  );
}

/** A turn as the API expects it back: no empty tool_calls list, null content beside tool calls. */
function clean(message) {
  if (message.role !== 'assistant') return message;
  const calls = (message.tool_calls || []).filter((c) => c.function && c.function.name);
  const turn = { role: 'assistant', content: message.content || (calls.length ? null : '') };
  if (calls.length) turn.tool_calls = calls;
  return turn;
}

/** Accumulates one streamed delta: content appended, tool calls by index (name once, arguments appended). */
function merge(reply, delta) {
  const next = { ...reply, tool_calls: reply.tool_calls.map((c) => ({ ...c, function: { ...c.function } })) };
  if (delta.content) next.content += delta.content;
  for (const d of delta.tool_calls || []) {
    const index = d.index ?? next.tool_calls.length;
    const call = next.tool_calls[index] || (next.tool_calls[index] = { id: '', type: 'function', function: { name: '', arguments: '' } });
    if (d.id) call.id = d.id;
    if (d.function && d.function.name) call.function.name += d.function.name;
    if (d.function && d.function.arguments) call.function.arguments += d.function.arguments;
  }
  return next;
}

function ToolResult({ call, onSubmit }) {
  const [value, setValue] = useState('{"result": "ok"}');
  return (
    <form class="row tool-result" onSubmit={(e) => { e.preventDefault(); onSubmit(value); }}>
      <label class="grow"><span>Result of <code>{call.function.name}</code> to send back</span>
        <input value={value} onInput={(e) => setValue(e.currentTarget.value)} /></label>
      <button type="submit" class="secondary">Send result</button>
    </form>
  );
}

function Raw({ raw }) {
  const code = snippets(location.origin, raw.request);
  return (
    <details class="raw">
      <summary>Raw request and response</summary>
      <div class="row wrap">
        <Copy text={code.curl} label="Copy as curl" />
        <Copy text={code.python} label="Copy as Python (openai)" />
        <Copy text={code.java} label="Copy as Java (openai-java)" />
      </div>
      <h3>POST /v1/chat/completions</h3>
      <pre class="json">{JSON.stringify(raw.request, null, 2)}</pre>
      <h3>Response</h3>
      <pre class="json">{raw.response || '…'}</pre>
    </details>
  );
}
