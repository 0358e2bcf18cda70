// Drives a memdec server with the official OpenAI npm client: models, chat and completions, streaming and not,
// the memory extension and a 400. Prints one JSON line of what it saw; exits non-zero on any failed check.
// Usage: MEMDEC_BASE_URL=http://127.0.0.1:PORT MEMDEC_NODE_MODULES=... node openai-client.cjs
"use strict";
const assert = require("node:assert/strict");
const path = require("node:path");
const OpenAI = require(path.join(process.env.MEMDEC_NODE_MODULES, "openai"));

async function main() {
  const client = new OpenAI({ baseURL: `${process.env.MEMDEC_BASE_URL}/v1`, apiKey: "unused", maxRetries: 0, timeout: 120000 });
  const seen = {};

  const models = await client.models.list();
  const model = models.data[0].id;
  seen.model = model;

  const chat = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "Say hello" }], max_tokens: 12, temperature: 0, seed: 1,
  });
  assert.equal(chat.object, "chat.completion");
  assert.equal(typeof chat.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(chat.choices[0].finish_reason));
  assert.ok(chat.usage.prompt_tokens > 0 && chat.usage.completion_tokens > 0);
  seen.chat = chat.choices[0].message.content;

  let streamed = "";
  let usage = null;
  let finish = null;
  const stream = await client.chat.completions.create({
    model, messages: [{ role: "user", content: "Say hello" }], max_tokens: 12, temperature: 0, seed: 1,
    stream: true, stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length) {
      streamed += chunk.choices[0].delta.content ?? "";
      finish = chunk.choices[0].finish_reason ?? finish;
    }
  }
  assert.equal(streamed, seen.chat, "greedy streaming and non-streaming chat agree");
  assert.ok(usage && usage.completion_tokens === chat.usage.completion_tokens);
  assert.equal(finish, chat.choices[0].finish_reason);
  seen.chatStreamed = streamed;

  const completion = await client.completions.create({
    model, prompt: "Once upon a time", max_tokens: 10, temperature: 0, memory: { enabled: false },
  });
  assert.equal(completion.object, "text_completion");
  seen.completion = completion.choices[0].text;
  seen.completionMemory = completion.memory;

  let text = "";
  const cstream = await client.completions.create({
    model, prompt: "Once upon a time", max_tokens: 10, temperature: 0, stream: true, memory: { enabled: false },
  });
  for await (const chunk of cstream) {
    text += chunk.choices.length ? chunk.choices[0].text : "";
  }
  assert.equal(text, seen.completion, "greedy streaming and non-streaming completions agree");
  seen.completionStreamed = text;

  const withMemory = await client.completions.create({
    model, prompt: "Once upon a time", max_tokens: 10, temperature: 0, memory: { enabled: true, lambda: 0.9 },
  });
  seen.memoryUsed = withMemory.memory;

  try {
    await client.chat.completions.create({ model, messages: [{ role: "user", content: "x" }], temperature: -1 });
    assert.fail("a negative temperature must be refused");
  } catch (e) {
    assert.ok(e instanceof OpenAI.BadRequestError, `expected BadRequestError, got ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.param, "temperature");
    seen.errorCode = e.code;
  }
  console.log(JSON.stringify(seen));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
