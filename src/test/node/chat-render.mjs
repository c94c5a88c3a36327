// Reference chat-template rendering for ChatTemplateReferenceTest, by @huggingface/jinja.
// usage: node chat-render.mjs IN.jsonl > OUT.jsonl
//   IN lines: {"template", "messages", "add_generation_prompt", "bos_token", "eos_token"}
//   OUT lines: {"text": rendered} or {"error": message}
import { readFileSync } from 'node:fs';
import { Template } from '@huggingface/jinja';

const [input] = process.argv.slice(2);
const lines = readFileSync(input, 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l));
const out = [];
for (const c of lines) {
  try {
    const text = new Template(c.template).render({
      messages: c.messages, add_generation_prompt: c.add_generation_prompt,
      bos_token: c.bos_token, eos_token: c.eos_token,
    });
    out.push(JSON.stringify({ text }));
  } catch (e) {
    out.push(JSON.stringify({ error: String(e.message ?? e) }));
  }
}
process.stdout.write(out.join('\n') + '\n');
