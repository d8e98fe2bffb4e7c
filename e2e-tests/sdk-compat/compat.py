"""The gateway's /v1 API as users of the official Python `openai` SDK call it (see README.md next to this file).

Settings (environment): TOOLTUNE_GATEWAY_URL (http://host:port, no /v1), TOOLTUNE_API_KEY, TOOLTUNE_RATE_KEY (a key
of its own, used up by the rate-limit check; the check is skipped without it), TOOLTUNE_BASE_MODEL.
Every check runs; each failure is printed with what was sent and received; the exit status is 1 if any failed.
"""
import json
import os
import sys
import time
import traceback
from typing import List, Literal, Optional

import openai
import pydantic
from openai import OpenAI

URL = os.environ["TOOLTUNE_GATEWAY_URL"].rstrip("/") + "/v1"
KEY = os.environ["TOOLTUNE_API_KEY"]
RATE_KEY = os.environ.get("TOOLTUNE_RATE_KEY")
MODEL = os.environ.get("TOOLTUNE_BASE_MODEL", "tooltune/gemma-3-tiny-random")
SAMPLE = os.environ.get("TOOLTUNE_SAMPLE", os.path.join(os.path.dirname(__file__), "../../samples/tool-calling-sample.jsonl"))

client = OpenAI(base_url=URL, api_key=KEY, max_retries=0, timeout=600)
failures = []
ONLY = sys.argv[1:]   # run only the checks whose name contains one of these words


def check(name):
    def run(fn):
        if ONLY and not any(word in name for word in ONLY):
            return fn
        start = time.monotonic()
        try:
            fn()
            print(f"ok    {name} ({time.monotonic() - start:.1f}s)")
        except Exception as e:  # noqa: BLE001: every failure is reported, then the next check runs
            failures.append(name)
            print(f"FAIL  {name}: {type(e).__name__}: {e}")
            traceback.print_exc(limit=3)
        return fn
    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def raises(exception_class, call, status=None, param=None):
    try:
        result = call()
    except exception_class as e:
        if status is not None:
            expect(e.status_code == status, f"status {e.status_code}, expected {status}: {e}")
        expect(isinstance(e.body, dict) and "message" in e.body and "type" in e.body,
               f"OpenAI's error shape (message, type): {e.body!r}")
        if param is not None:
            expect(e.body.get("param") == param, f"param {e.body.get('param')!r}, expected {param!r}: {e.body}")
        return e
    except openai.APIError as e:
        raise AssertionError(f"expected {exception_class.__name__}, got {type(e).__name__} "
                             f"({getattr(e, 'status_code', None)}): {e}") from e
    raise AssertionError(f"expected {exception_class.__name__}, got an answer: {result!r}")


WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]},
                                                    "unit": {"type": "string", "enum": ["c", "f"]}},
                   "required": ["city"], "additionalProperties": False}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "description": "Current time in a timezone",
    "parameters": {"type": "object", "properties": {"timezone": {"type": "string", "enum": ["UTC", "CET"]}},
                   "required": ["timezone"]}}}
# Every argument is bounded (enums), so that a random model's call closes within max_tokens.
TOOLS = [WEATHER, TIME]
USER = [{"role": "user", "content": "What is the weather in Paris?"}]


def valid_call(call, names=("get_weather", "get_time")):
    expect(call.type == "function", f"type function: {call}")
    expect(call.id, f"a call id: {call}")
    expect(call.function.name in names, f"a declared tool name: {call}")
    arguments = json.loads(call.function.arguments)
    expect(isinstance(arguments, dict), f"arguments are a JSON object: {call}")
    required = {"get_weather": ["city"], "get_time": ["timezone"]}[call.function.name]
    expect(all(isinstance(arguments.get(k), str) for k in required), f"required arguments present: {call}")
    return arguments


# ---- models -------------------------------------------------------------------------------------------------------

@check("models.list and models.retrieve")
def _():
    ids = [m.id for m in client.models.list()]
    expect(MODEL in ids, f"{MODEL} listed: {ids}")
    model = client.models.retrieve(MODEL)
    expect(model.id == MODEL and model.object == "model", f"retrieve: {model}")
    raises(openai.NotFoundError, lambda: client.models.retrieve("no-such-model"), 404)


@check("authentication errors")
def _():
    raises(openai.AuthenticationError, lambda: OpenAI(base_url=URL, api_key="tt-wrong", max_retries=0).models.list(), 401)


# ---- chat completions ---------------------------------------------------------------------------------------------

@check("chat: tools, tool_choice auto")
def _():
    r = client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS, tool_choice="auto", max_tokens=60)
    expect(r.object == "chat.completion" and r.model == MODEL and len(r.choices) == 1, f"completion: {r}")
    choice = r.choices[0]
    expect(choice.finish_reason in ("stop", "tool_calls", "length"), f"finish_reason: {choice}")
    for call in choice.message.tool_calls or []:
        valid_call(call)
    expect(r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens, f"usage: {r.usage}")


@check("chat: tool_choice required")
def _():
    r = client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS, tool_choice="required", max_tokens=80)
    choice = r.choices[0]
    expect(choice.finish_reason == "tool_calls" and choice.message.tool_calls, f"a tool call: {r}")
    for call in choice.message.tool_calls:
        valid_call(call)


@check("chat: tool_choice named function, parallel_tool_calls false")
def _():
    r = client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS, parallel_tool_calls=False,
                                       tool_choice={"type": "function", "function": {"name": "get_time"}},
                                       max_completion_tokens=80)
    calls = r.choices[0].message.tool_calls
    expect(calls and len(calls) == 1 and calls[0].function.name == "get_time", f"one get_time call: {r}")
    valid_call(calls[0])
    expect(r.choices[0].finish_reason == "tool_calls", f"finish_reason tool_calls: {r}")


@check("chat: tool_choice none")
def _():
    r = client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS, tool_choice="none", max_tokens=20)
    expect(not r.choices[0].message.tool_calls, f"no tool calls: {r}")
    expect(isinstance(r.choices[0].message.content, str), f"text content: {r}")


@check("chat: max_tokens, max_completion_tokens, stop, seed, temperature, top_p")
def _():
    r = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=3, temperature=1.0, top_p=0.9)
    expect(r.usage.completion_tokens <= 3, f"at most 3 tokens: {r.usage}")
    expect(r.choices[0].finish_reason in ("length", "stop"), f"finish_reason: {r}")
    r = client.chat.completions.create(model=MODEL, messages=USER, max_completion_tokens=2)
    expect(r.usage.completion_tokens <= 2, f"at most 2 tokens: {r.usage}")
    a = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=12, seed=7, temperature=1.5)
    b = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=12, seed=7, temperature=1.5)
    expect(a.choices[0].message.content == b.choices[0].message.content, f"same seed, same text: {a} / {b}")
    r = client.chat.completions.create(model=MODEL, messages=USER, max_tokens=30, stop=["\n", "."], temperature=0)
    content = r.choices[0].message.content or ""
    expect("\n" not in content and "." not in content, f"stop sequences not in the content: {content!r}")


@check("chat: n=2 is a clear 400")
def _():
    e = raises(openai.BadRequestError, lambda: client.chat.completions.create(model=MODEL, messages=USER, n=2), 400, "n")
    expect("n" in e.body["message"], f"message says what: {e.body}")


@check("chat: response_format json_object and json_schema")
def _():
    r = client.chat.completions.create(model=MODEL, max_tokens=30, response_format={"type": "json_object"},
                                       messages=[{"role": "user", "content": "Reply in JSON."}])
    if r.choices[0].finish_reason == "stop":
        expect(isinstance(json.loads(r.choices[0].message.content), dict), f"a JSON object: {r}")

    class City(pydantic.BaseModel):
        name: Literal["Paris", "Rome"]
        country: Literal["FR", "IT"]

    try:
        p = client.chat.completions.parse(model=MODEL, max_tokens=60, response_format=City,
                                          messages=[{"role": "user", "content": "A city, as JSON."}])
        expect(isinstance(p.choices[0].message.parsed, City), f"parsed City: {p}")
    except openai.LengthFinishReasonError as e:   # a random model's strings may outlast max_tokens
        expect(e.completion.choices[0].message.content.startswith("{"), f"JSON cut by the length: {e.completion}")


@check("chat: multi-turn with tool calls, tool results, text parts, system and developer roles")
def _():
    messages = [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "developer", "content": [{"type": "text", "text": "Use the tools."}]},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris"}, {"type": "text", "text": " and Rome?"}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21}"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "{\"temp\": 25}"}]},
    ]
    r = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, max_tokens=40)
    expect(len(r.choices) == 1, f"answer: {r}")
    # The SDK's own message objects go back in as the next turn's history.
    r = client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS, tool_choice="required", max_tokens=80)
    message = r.choices[0].message
    history = USER + [message] + [{"role": "tool", "tool_call_id": c.id, "content": "sunny"} for c in message.tool_calls]
    r = client.chat.completions.create(model=MODEL, messages=history, tools=TOOLS, max_tokens=30)
    expect(len(r.choices) == 1, f"answer: {r}")


def accumulate(chunks):
    """Puts streamed tool-call deltas together as the SDKs do: by index; id, type and name come on a call's first delta."""
    calls, content, finish, usage, first_deltas = {}, "", None, None, {}
    for chunk in chunks:
        expect(chunk.object == "chat.completion.chunk", f"chunk object: {chunk}")
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            content += delta.content or ""
            for d in delta.tool_calls or []:
                if d.index not in calls:
                    expect(d.id and d.type == "function" and d.function and d.function.name,
                           f"a call's first delta has id, type and name: {d}")
                    calls[d.index] = {"id": d.id, "name": d.function.name, "arguments": ""}
                    first_deltas[d.index] = d
                else:
                    expect(d.id is None and d.type is None, f"id and type only on a call's first delta: {d}")
                calls[d.index]["arguments"] += (d.function.arguments or "") if d.function else ""
            if choice.finish_reason:
                finish = choice.finish_reason
    return calls, content, finish, usage


@check("chat stream: tool_choice required, include_usage, accumulated deltas")
def _():
    stream = client.chat.completions.create(model=MODEL, messages=USER, tools=TOOLS, tool_choice="required",
                                            stream=True, stream_options={"include_usage": True}, max_tokens=80)
    calls, _, finish, usage = accumulate(stream)
    expect(calls and finish == "tool_calls", f"calls and finish_reason tool_calls: {calls} {finish}")
    expect(sorted(calls) == list(range(len(calls))), f"indexes 0..n-1: {sorted(calls)}")
    for call in calls.values():
        arguments = json.loads(call["arguments"])
        expect(isinstance(arguments, dict) and call["name"] in ("get_weather", "get_time"), f"a valid call: {call}")
    expect(usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0,
           f"the usage chunk: {usage}")


@check("chat stream: text, named function, tool_choice none, without include_usage")
def _():
    _, content, finish, usage = accumulate(client.chat.completions.create(
        model=MODEL, messages=USER, stream=True, max_tokens=8))
    expect(finish in ("stop", "length") and usage is None, f"finish {finish}, no usage {usage}")
    calls, _, finish, _ = accumulate(client.chat.completions.create(
        model=MODEL, messages=USER, tools=TOOLS, stream=True, max_tokens=80,
        tool_choice={"type": "function", "function": {"name": "get_weather"}}))
    expect([c["name"] for c in calls.values()] == ["get_weather"] or
           all(c["name"] == "get_weather" for c in calls.values()) and calls, f"get_weather: {calls}")
    calls, _, finish, _ = accumulate(client.chat.completions.create(
        model=MODEL, messages=USER, tools=TOOLS, tool_choice="none", stream=True, max_tokens=8))
    expect(not calls, f"no calls with tool_choice none: {calls}")


@check("chat stream: bad input raises BadRequestError before any chunk")
def _():
    raises(openai.BadRequestError, lambda: client.chat.completions.create(
        model=MODEL, messages=USER, stream=True, tools=TOOLS, tool_choice={"type": "function", "function": {"name": "nope"}}),
        400, "tool_choice")


# ---- the SDK's helpers -----------------------------------------------------------------------------------------------

class GetWeather(pydantic.BaseModel):
    """Current weather in a city."""
    city: Literal["Paris", "Rome"]
    unit: Optional[Literal["c", "f"]] = None


class Lookup(pydantic.BaseModel):
    """Looks words up."""
    words: List[Literal["yes", "no"]] = pydantic.Field(max_length=2)


@check("helpers: chat.completions.parse with pydantic_function_tool (strict)")
def _():
    tools = [openai.pydantic_function_tool(GetWeather), openai.pydantic_function_tool(Lookup)]
    expect(tools[0]["function"].get("strict") is True, f"strict tool: {tools[0]}")
    r = client.chat.completions.parse(model=MODEL, messages=USER, tools=tools, tool_choice="required", max_tokens=80)
    calls = r.choices[0].message.tool_calls
    expect(calls, f"tool calls: {r}")
    for call in calls:
        expect(isinstance(call.function.parsed_arguments, (GetWeather, Lookup)), f"parsed arguments: {call}")


@check("helpers: chat.completions.stream with strict tools, events and final completion")
def _():
    tools = [openai.pydantic_function_tool(GetWeather)]
    done_events = []
    with client.chat.completions.stream(model=MODEL, messages=USER, tools=tools, max_tokens=80,
                                        tool_choice={"type": "function", "function": {"name": "GetWeather"}},
                                        stream_options={"include_usage": True}) as stream:
        for event in stream:
            if event.type == "tool_calls.function.arguments.done":
                done_events.append(event)
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    expect(calls and isinstance(calls[0].function.parsed_arguments, GetWeather), f"parsed GetWeather: {final}")
    expect(done_events and isinstance(done_events[0].parsed_arguments, GetWeather), f"arguments.done: {done_events}")
    expect(final.usage is not None and final.usage.completion_tokens > 0, f"usage: {final.usage}")

    with client.chat.completions.stream(model=MODEL, messages=USER, max_tokens=10) as stream:
        text = "".join(e.delta for e in stream if e.type == "content.delta")
        try:
            final = stream.get_final_completion()
        except openai.LengthFinishReasonError as e:   # the SDK's answer to finish_reason "length"
            final = e.completion
    expect(final.choices[0].message.content == text, f"streamed text {text!r} is the final content: {final}")


# ---- files and fine-tuning -------------------------------------------------------------------------------------------

@check("files and fine_tuning.jobs: create, list, retrieve, list_events, cancel")
def _():
    with open(SAMPLE, "rb") as f:
        lines = [l for l in f.read().splitlines() if l.strip()][:3]
    uploaded = client.files.create(file=("compat.jsonl", b"\n".join(lines) + b"\n"), purpose="fine-tune")
    expect(uploaded.id and uploaded.object == "file" and uploaded.purpose == "fine-tune", f"file: {uploaded}")
    expect(client.files.retrieve(uploaded.id).id == uploaded.id, "files.retrieve")
    expect(any(f.id == uploaded.id for f in client.files.list()), "files.list")
    raises(openai.NotFoundError, lambda: client.files.retrieve("file-nope"), 404)
    raises(openai.BadRequestError, lambda: client.files.create(file=("bad.jsonl", b"{not json\n"), purpose="fine-tune"), 400)

    job = client.fine_tuning.jobs.create(model=MODEL, training_file=uploaded.id, suffix="compat",
                                         method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1}}})
    expect(job.object == "fine_tuning.job" and job.status in ("validating_files", "queued", "running"), f"job: {job}")
    expect(client.fine_tuning.jobs.retrieve(job.id).id == job.id, "jobs.retrieve")
    page = client.fine_tuning.jobs.list(limit=5)
    expect(any(j.id == job.id for j in page.data), f"jobs.list: {page}")
    expect(isinstance(page.has_more, bool), f"has_more: {page}")
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    expect(cancelled.id == job.id and cancelled.status in ("cancelled", "cancelling"), f"cancel: {cancelled}")
    events = list(client.fine_tuning.jobs.list_events(job.id, limit=20))
    expect(events and all(e.object == "fine_tuning.job.event" and e.message for e in events), f"events: {events}")
    raises(openai.NotFoundError, lambda: client.fine_tuning.jobs.retrieve("ftjob-nope"), 404)
    raises(openai.NotFoundError, lambda: client.fine_tuning.jobs.cancel("ftjob-nope"), 404)
    raises(openai.BadRequestError, lambda: client.fine_tuning.jobs.create(model=MODEL, training_file="file-nope"), 400)
    client.files.delete(uploaded.id)


# ---- errors --------------------------------------------------------------------------------------------------------

@check("errors: bad chat input is a 400 naming the parameter, an unknown model a 404")
def _():
    chat = client.chat.completions.create
    raises(openai.NotFoundError, lambda: chat(model="no-such-model", messages=USER), 404)
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=[]), 400, "messages")
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=[{"role": "wizard", "content": "x"}]), 400)
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=USER, temperature=5), 400, "temperature")
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=USER, tool_choice="required"), 400, "tool_choice")
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=USER, tools=[{"type": "function", "function": {
        "name": "bad name!", "parameters": {"type": "object"}}}]), 400)
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=USER, max_tokens=0), 400, "max_tokens")
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=USER, extra_body={"messages": "hi"}), 400, "messages")
    raises(openai.BadRequestError, lambda: chat(model=MODEL, messages=[{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]), 400)
    raises(openai.BadRequestError, lambda: client.post("/chat/completions", cast_to=object, body=None,
                                                       options={"headers": {"Content-Type": "application/json"}}), 400)


@check("errors: rate limit is a RateLimitError with Retry-After, which the SDK honours")
def _():
    if not RATE_KEY:
        print("      (skipped: no TOOLTUNE_RATE_KEY)")
        return
    limited = OpenAI(base_url=URL, api_key=RATE_KEY, max_retries=0)
    error = None
    for _ in range(1000):
        try:
            limited.models.list()
        except openai.RateLimitError as e:
            error = e
            break
    expect(error is not None and error.status_code == 429, "a RateLimitError within 1000 requests")
    retry_after = error.response.headers.get("retry-after")
    expect(retry_after is not None and float(retry_after) > 0, f"Retry-After: {error.response.headers}")
    expect(error.body.get("type") and error.body.get("message"), f"error body: {error.body}")
    start = time.monotonic()
    patient = OpenAI(base_url=URL, api_key=RATE_KEY, max_retries=3)
    ids = [m.id for m in patient.models.list()]
    expect(MODEL in ids, f"the retried call succeeds: {ids}")
    print(f"      (Retry-After {retry_after}; the SDK's retry succeeded after {time.monotonic() - start:.1f}s)")


print(f"python openai {openai.__version__}: {len(failures)} failed" + (": " + ", ".join(failures) if failures else ""))
sys.exit(1 if failures else 0)
