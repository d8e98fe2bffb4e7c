/** A conversation in OpenAI's chat format, drawn as turns; tool calls as cards, tool results beside their call. */
export function Chat({ messages, streaming }) {
  return (
    <ol class="chat" aria-live={streaming ? 'polite' : undefined}>
      {messages.map((m, i) => <Turn key={i} message={m} streaming={streaming && i === messages.length - 1} />)}
    </ol>
  );
}

function Turn({ message, streaming }) {
  const role = message.role || 'assistant';
  return (
    <li class={`turn ${role}`}>
      <span class="role">{role === 'tool' ? `tool result${message.tool_call_id ? ` · ${message.tool_call_id}` : ''}` : role}</span>
      {text(message.content) && <div class="content">{role === 'tool' ? <Json text={text(message.content)} /> : text(message.content)}</div>}
      {(message.tool_calls || []).map((call, i) => <ToolCallCard key={call.id || i} call={call} streaming={streaming} />)}
      {streaming && !text(message.content) && !(message.tool_calls || []).length && <div class="content muted">…</div>}
    </li>
  );
}

/** One tool call: the function's name and its arguments (pretty when they parse; as they arrive while streaming). */
export function ToolCallCard({ call, streaming }) {
  const fn = call.function || {};
  return (
    <section class="tool-call" aria-label={`tool call ${fn.name || ''}`}>
      <header>
        <span class="badge">tool call</span> <code class="name">{fn.name || '…'}</code>
        {call.id && <span class="muted small"> {call.id}</span>}
        {streaming && <span class="muted small"> streaming…</span>}
      </header>
      <Json text={fn.arguments || ''} />
    </section>
  );
}

/** The tools of a conversation: name, description and parameter schema. */
export function ToolSchemas({ tools }) {
  if (!tools || tools.length === 0) return <p class="muted small">No tools: this example teaches answering in text.</p>;
  return (
    <div class="tools">
      {tools.map((t, i) => {
        const fn = t.function || t;
        return (
          <details key={i} class="tool-schema">
            <summary><code>{fn.name}</code> <span class="muted small">{fn.description}</span></summary>
            <pre>{JSON.stringify(fn.parameters || {}, null, 2)}</pre>
          </details>
        );
      })}
    </div>
  );
}

function Json({ text: value }) {
  let pretty = value;
  try { pretty = JSON.stringify(JSON.parse(value), null, 2); } catch { /* partial JSON while streaming */ }
  return <pre class="json">{pretty}</pre>;
}

function text(content) {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => p.text || '').join('');
  return JSON.stringify(content);
}
