// The gateway's /v1 API as users of the official Node `openai` package call it (see README.md next to this file).
// Settings as for compat.py: TOOLTUNE_GATEWAY_URL, TOOLTUNE_API_KEY, TOOLTUNE_BASE_MODEL.
// Every check runs; each failure is printed; the exit status is 1 if any failed.
import OpenAI from 'openai';

const URL = process.env.TOOLTUNE_GATEWAY_URL.replace(/\/$/, '') + '/v1';
const MODEL = process.env.TOOLTUNE_BASE_MODEL ?? 'tooltune/gemma-3-tiny-random';
const client = new OpenAI({ baseURL: URL, apiKey: process.env.TOOLTUNE_API_KEY, maxRetries: 0, timeout: 600_000 });
const failures = [];
const ONLY = process.argv.slice(2);   // run only the checks whose name contains one of these words

async function check(name, fn) {
  if (ONLY.length && !ONLY.some((word) => name.includes(word))) return;
  const start = Date.now();
  try {
    await fn();
    console.log(`ok    ${name} (${((Date.now() - start) / 1000).toFixed(1)}s)`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL  ${name}: ${e?.constructor?.name}: ${e?.message}\n${e?.stack?.split('\n').slice(1, 4).join('\n')}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function raises(errorClass, call, status, param) {
  let result;
  try {
    result = await call();
  } catch (e) {
    expect(e instanceof errorClass, `expected ${errorClass.name}, got ${e?.constructor?.name} (${e?.status}): ${e?.message}`);
    if (status !== undefined) expect(e.status === status, `status ${e.status}, expected ${status}`);
    expect(e.error && typeof e.error.message === 'string' && e.error.type, `OpenAI's error shape: ${JSON.stringify(e.error)}`);
    if (param !== undefined) expect(e.param === param, `param ${e.param}, expected ${param}: ${JSON.stringify(e.error)}`);
    return e;
  }
  throw new Error(`expected ${errorClass.name}, got an answer: ${JSON.stringify(result)}`);
}

const WEATHER_PARAMETERS = {
  type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Rome'] }, unit: { type: ['string', 'null'], enum: ['c', 'f', null] } },
  required: ['city', 'unit'], additionalProperties: false,
};
const TOOLS = [
  { type: 'function', function: { name: 'get_weather', description: 'Current weather in a city', strict: true, parameters: WEATHER_PARAMETERS } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string', enum: ['UTC', 'CET'] } }, required: ['timezone'] } } },
];
const USER = [{ role: 'user', content: 'What is the weather in Paris?' }];

function validCall(call) {
  expect(call.type === 'function' && call.id, `a function call with an id: ${JSON.stringify(call)}`);
  const args = JSON.parse(call.function.arguments);
  const required = { get_weather: 'city', get_time: 'timezone' }[call.function.name];
  expect(required && typeof args[required] === 'string', `a declared tool with its required argument: ${JSON.stringify(call)}`);
  return args;
}

await check('models.list and models.retrieve', async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  expect(ids.includes(MODEL), `${MODEL} listed: ${ids}`);
  expect((await client.models.retrieve(MODEL)).id === MODEL, 'models.retrieve');
  await raises(OpenAI.NotFoundError, () => client.models.retrieve('no-such-model'), 404);
  await raises(OpenAI.AuthenticationError, () => new OpenAI({ baseURL: URL, apiKey: 'tt-wrong', maxRetries: 0 }).models.list(), 401);
});

await check('chat: tool_choice required, named, none; parallel_tool_calls', async () => {
  let r = await client.chat.completions.create({ model: MODEL, messages: USER, tools: TOOLS, tool_choice: 'required', max_tokens: 80 });
  expect(r.choices[0].finish_reason === 'tool_calls' && r.choices[0].message.tool_calls?.length, `a call: ${JSON.stringify(r)}`);
  r.choices[0].message.tool_calls.forEach(validCall);
  r = await client.chat.completions.create({ model: MODEL, messages: USER, tools: TOOLS, parallel_tool_calls: false,
    tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_completion_tokens: 80 });
  const calls = r.choices[0].message.tool_calls;
  expect(calls?.length === 1 && calls[0].function.name === 'get_weather', `one get_weather call: ${JSON.stringify(r)}`);
  const args = validCall(calls[0]);
  expect('unit' in args, `strict: every property present: ${JSON.stringify(args)}`);
  r = await client.chat.completions.create({ model: MODEL, messages: USER, tools: TOOLS, tool_choice: 'none', max_tokens: 10 });
  expect(!r.choices[0].message.tool_calls?.length, `no calls: ${JSON.stringify(r)}`);
  r = await client.chat.completions.create({ model: MODEL, messages: USER, tools: TOOLS, tool_choice: 'auto', max_tokens: 60, seed: 3, temperature: 0.7, top_p: 0.9, stop: ['\n\n'] });
  (r.choices[0].message.tool_calls ?? []).forEach(validCall);
});

await check('chat: multi-turn history, text parts, developer role, n=2 is a 400', async () => {
  const r = await client.chat.completions.create({ model: MODEL, max_tokens: 20, tools: TOOLS, messages: [
    { role: 'developer', content: 'Use the tools.' },
    { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
    { role: 'assistant', content: '', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":null}' } }] },
    { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
  ] });
  expect(r.choices.length === 1, JSON.stringify(r));
  await raises(OpenAI.BadRequestError, () => client.chat.completions.create({ model: MODEL, messages: USER, n: 2 }), 400, 'n');
  await raises(OpenAI.BadRequestError, () => client.chat.completions.create({ model: MODEL, messages: [] }), 400, 'messages');
  await raises(OpenAI.NotFoundError, () => client.chat.completions.create({ model: 'no-such-model', messages: USER }), 404);
});

await check('chat stream: accumulated tool-call deltas and include_usage', async () => {
  const stream = await client.chat.completions.create({ model: MODEL, messages: USER, tools: TOOLS, tool_choice: 'required',
    stream: true, stream_options: { include_usage: true }, max_tokens: 80 });
  const calls = []; let finish; let usage;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      for (const d of choice.delta.tool_calls ?? []) {
        if (!calls[d.index]) {
          expect(d.id && d.type === 'function' && d.function?.name, `first delta: ${JSON.stringify(d)}`);
          calls[d.index] = { id: d.id, type: d.type, function: { name: d.function.name, arguments: '' } };
        } else {
          expect(d.id === undefined && d.type === undefined, `id and type only once: ${JSON.stringify(d)}`);
        }
        calls[d.index].function.arguments += d.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
  }
  expect(calls.length && finish === 'tool_calls', `calls ${JSON.stringify(calls)}, finish ${finish}`);
  calls.forEach(validCall);
  expect(usage?.total_tokens === usage.prompt_tokens + usage.completion_tokens, `usage ${JSON.stringify(usage)}`);
});

await check('helpers: chat.completions.stream() with tools and text', async () => {
  const stream = client.chat.completions.stream({ model: MODEL, messages: USER, tools: TOOLS, max_tokens: 80,
    tool_choice: { type: 'function', function: { name: 'get_weather' } }, stream_options: { include_usage: true } });
  const done = [];
  stream.on('tool_calls.function.arguments.done', (event) => done.push(event));
  const final = await stream.finalChatCompletion();
  const call = final.choices[0].message.tool_calls?.[0];
  expect(call?.function.name === 'get_weather', `final completion's call: ${JSON.stringify(final)}`);
  expect(call.function.parsed_arguments?.city !== undefined, `strict tool parsed: ${JSON.stringify(call)}`);
  expect(done.length === 1 && done[0].name === 'get_weather', `arguments.done events: ${JSON.stringify(done)}`);
  const text = client.chat.completions.stream({ model: MODEL, messages: USER, max_tokens: 10 });
  let streamed = '';
  text.on('content', (delta) => { streamed += delta; });
  const content = await text.finalContent();
  expect(content === streamed, `streamed ${JSON.stringify(streamed)} is the final ${JSON.stringify(content)}`);
});

await check('helpers: runTools calls the function and sends its result back', async () => {
  for (const stream of [false, true]) {
    const seen = [];
    const runner = client.chat.completions.runTools({ model: MODEL, messages: USER, max_tokens: 60, stream,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_PARAMETERS,
        function: (args) => { seen.push(args); return { temperature: 21 }; }, parse: JSON.parse } }] });
    await runner.finalChatCompletion();
    expect(seen.length === 1 && typeof seen[0].city === 'string', `stream=${stream}: the function ran with parsed args: ${JSON.stringify(seen)}`);
    const messages = runner.messages;
    expect(messages.some((m) => m.role === 'tool' && m.content.includes('21')), `stream=${stream}: the tool result in the history`);
  }
});

await check('files and fine_tuning.jobs', async () => {
  const line = JSON.stringify({ messages: [{ role: 'user', content: 'Weather in Paris?' }, { role: 'assistant', tool_calls: [
    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }],
  tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }] });
  const file = await client.files.create({ file: await OpenAI.toFile(Buffer.from(line + '\n' + line + '\n'), 'compat.jsonl'), purpose: 'fine-tune' });
  expect(file.id && file.purpose === 'fine-tune', JSON.stringify(file));
  const job = await client.fineTuning.jobs.create({ model: MODEL, training_file: file.id, suffix: 'compat-node' });
  expect((await client.fineTuning.jobs.retrieve(job.id)).id === job.id, 'jobs.retrieve');
  const listed = [];
  for await (const j of client.fineTuning.jobs.list({ limit: 2 })) { listed.push(j.id); if (listed.length > 50) break; }
  expect(listed.includes(job.id), `jobs.list (auto-paginated): ${listed}`);
  const cancelled = await client.fineTuning.jobs.cancel(job.id);
  expect(['cancelled', 'cancelling'].includes(cancelled.status), JSON.stringify(cancelled));
  const events = [];
  for await (const e of client.fineTuning.jobs.listEvents(job.id, { limit: 2 })) { events.push(e); if (events.length > 50) break; }
  expect(events.length && events.every((e) => e.object === 'fine_tuning.job.event'), JSON.stringify(events));
  await raises(OpenAI.NotFoundError, () => client.fineTuning.jobs.retrieve('ftjob-nope'), 404);
  await client.files.delete(file.id);
});

console.log(`node openai: ${failures.length} failed${failures.length ? ': ' + failures.join(', ') : ''}`);
process.exit(failures.length ? 1 : 0);
