// The playground's request as code a user can paste: curl, the OpenAI Python SDK and the OpenAI Java SDK. The key
// is read from TOOLTUNE_API_KEY in each, never written into the snippet.

export function snippets(origin, request) {
  return { curl: curl(origin, request), python: python(origin, request), java: java(origin, request) };
}

function curl(origin, request) {
  const body = JSON.stringify(request, null, 2).replace(/'/g, `'\\''`);
  return `curl ${request.stream ? '-N ' : ''}${origin}/v1/chat/completions \\
  -H "Authorization: Bearer $TOOLTUNE_API_KEY" \\
  -H 'Content-Type: application/json' \\
  -d '${body}'`;
}

function python(origin, request) {
  const { model, messages, ...rest } = request;
  const args = Object.entries(rest).map(([k, v]) => `    ${k}=${py(v, 4)},`).join('\n');
  const read = request.stream
    ? `for chunk in response:\n    print(chunk.choices[0].delta)`
    : `print(response.choices[0].message)`;
  return `import os
from openai import OpenAI

client = OpenAI(base_url="${origin}/v1", api_key=os.environ["TOOLTUNE_API_KEY"])
response = client.chat.completions.create(
    model=${JSON.stringify(model)},
    messages=${py(messages, 4)},
${args}
)
${read}`;
}

/** Python literal of a JSON value (true/false/null become True/False/None), indented like json.dumps(indent=4). */
function py(value, indent, depth = 0) {
  const pad = (d) => ' '.repeat(indent + 4 * d);
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad(depth + 1) + py(v, indent, depth + 1)).join(',\n')}\n${pad(depth)}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${pad(depth + 1)}${JSON.stringify(k)}: ${py(v, indent, depth + 1)}`).join(',\n')}\n${pad(depth)}}`;
  }
  return JSON.stringify(value);
}

function java(origin, request) {
  const lines = [];
  for (const m of request.messages) {
    const text = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    if (m.role === 'system') lines.push(`        .addSystemMessage(${str(text)})`);
    else if (m.role === 'user') lines.push(`        .addUserMessage(${str(text)})`);
  }
  const conversationHasMore = request.messages.some((m) => m.role !== 'system' && m.role !== 'user');
  if (request.tools) lines.push(`        .putAdditionalBodyProperty("tools", json(${block(JSON.stringify(request.tools, null, 2))}))`);
  if (request.tool_choice) lines.push(`        .putAdditionalBodyProperty("tool_choice", json(${str(JSON.stringify(request.tool_choice))}))`);
  if (request.temperature != null) lines.push(`        .temperature(${Number(request.temperature)})`);
  if (request.max_tokens != null) lines.push(`        .maxCompletionTokens(${Number(request.max_tokens)})`);
  const call = request.stream
    ? `try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
    stream.stream().forEach(chunk -> System.out.println(chunk.choices().get(0).delta()));
}`
    : `ChatCompletion reply = client.chat().completions().create(params);
System.out.println(reply.choices().get(0).message());`;
  return `// com.openai:openai-java; tools and tool_choice are passed as JSON, exactly as the console sent them.
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.*;

OpenAIClient client = OpenAIOkHttpClient.builder()
        .baseUrl("${origin}/v1").apiKey(System.getenv("TOOLTUNE_API_KEY")).build();
${conversationHasMore ? '// assistant and tool turns of the conversation: add them with .addMessage(...)\n' : ''}ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model(${str(request.model)})
${lines.join('\n')}
        .build();
${call}

static JsonValue json(String text) throws Exception {
    return JsonValue.from(new ObjectMapper().readValue(text, Object.class));
}`;
}

function str(text) {
  return JSON.stringify(text);
}

function block(text) {
  return `"""\n${text.replace(/\\/g, '\\\\')}\n"""`;
}
