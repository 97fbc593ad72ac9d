//! A streamed chat completion, read chunk by chunk the same way on both sides of an answer:
//! the provider's gateway signs its receipt for [`Tally::tokens`] and the user's client
//! reports the same figure from the same chunks, so honest parties agree to the token.
//!
//! **The rule.** A stream's tokens are the backend's `usage.completion_tokens` when the
//! stream carried one, else its chunks that carry generated text; either way at most the
//! UTF-8 bytes of the text delivered.
//!
//! - A chunk carries generated text when a choice's `delta` has a string in `content`,
//!   `reasoning_content`, `reasoning`, `refusal` or a tool call's `function.name` /
//!   `function.arguments`. An empty string counts: llama.cpp sends `"content": ""` for each
//!   byte token that does not complete a UTF-8 character yet (the character arrives whole
//!   with the token completing it). An empty chunk that opens the answer (it names the
//!   `role`) or closes it (it has a `finish_reason`) is no token.
//! - No token yields less than one byte of text (a byte token is exactly one byte), so the
//!   bytes delivered bound the count: a provider claiming usage of 10^9, or padding the
//!   stream with empty chunks, is held to what it delivered. The bound is checkable by the
//!   user, who has the text; the usage is not.
//!
//! [`Assembly`] puts a whole `chat.completion` together from the chunks.

use serde_json::{json, Map, Value};

/// The text fields of a delta (and of a whole answer's message) a model generates.
const TEXT_FIELDS: [&str; 4] = ["content", "reasoning_content", "reasoning", "refusal"];

/// The UTF-8 bytes of generated text in `delta`, `None` when it carries no text field.
fn text_bytes(delta: &Value) -> Option<u64> {
    let mut bytes = None;
    let mut add = |s: &str| *bytes.get_or_insert(0u64) += s.len() as u64;
    for field in TEXT_FIELDS {
        if let Some(s) = delta[field].as_str() {
            add(s);
        }
    }
    for call in delta["tool_calls"].as_array().into_iter().flatten() {
        for part in ["name", "arguments"] {
            if let Some(s) = call["function"][part].as_str() {
                add(s);
            }
        }
    }
    bytes
}

/// What one chunk adds to a tally: whether it is a token, and its bytes of text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkText {
    /// The chunk counts as one token (see the module's rule).
    pub token: bool,
    /// UTF-8 bytes of generated text it carries.
    pub bytes: u64,
}

/// Reads what `chunk` (a `chat.completion.chunk`) adds to a tally, without taking it.
pub fn chunk_text(chunk: &Value) -> ChunkText {
    let mut out = ChunkText::default();
    for choice in chunk["choices"].as_array().into_iter().flatten() {
        let delta = &choice["delta"];
        let Some(bytes) = text_bytes(delta) else {
            continue;
        };
        out.bytes += bytes;
        let edge = delta.get("role").is_some() || choice["finish_reason"].is_string();
        out.token |= bytes > 0 || !edge;
    }
    out
}

/// Whether `chunk` is the usage chunk that ends a stream asked with
/// `stream_options.include_usage`: a `usage` object and no choices.
pub fn is_usage_chunk(chunk: &Value) -> bool {
    chunk["usage"].is_object() && chunk["choices"].as_array().is_none_or(Vec::is_empty)
}

/// The count of a stream so far (see the module's rule).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    chunks: u64,
    bytes: u64,
    usage: Option<u64>,
}

impl Tally {
    /// Takes one chunk; returns what it added.
    pub fn take(&mut self, chunk: &Value) -> ChunkText {
        let text = chunk_text(chunk);
        self.chunks += u64::from(text.token);
        self.bytes += text.bytes;
        if let Some(tokens) = chunk["usage"]["completion_tokens"].as_u64() {
            self.usage = Some(tokens);
        }
        text
    }

    /// Chunks taken that are tokens.
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// UTF-8 bytes of generated text taken.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The last `usage.completion_tokens` taken, if any.
    pub fn usage(&self) -> Option<u64> {
        self.usage
    }

    /// The stream's tokens: the usage, else the token chunks, at most the bytes.
    pub fn tokens(&self) -> u64 {
        self.usage.unwrap_or(self.chunks).min(self.bytes)
    }
}

/// The tokens of a whole (non-streamed) chat completion, by the same rule: its
/// `usage.completion_tokens`, else its whitespace-separated words, at most the UTF-8 bytes
/// of its messages' generated text.
pub fn whole_tokens(answer: &Value) -> u64 {
    let messages = || {
        answer["choices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| &c["message"])
    };
    let bytes: u64 = messages().filter_map(text_bytes).sum();
    let words = || {
        messages()
            .filter_map(|m| m["content"].as_str())
            .map(|s| s.split_whitespace().count() as u64)
            .sum()
    };
    answer["usage"]["completion_tokens"]
        .as_u64()
        .unwrap_or_else(words)
        .min(bytes)
}

/// The pieces of a streamed answer's first choice (`index` 0), put together as they arrive.
#[derive(Clone, Debug, Default)]
pub struct Assembly {
    id: Option<Value>,
    model: Option<Value>,
    created: Option<Value>,
    fingerprint: Option<Value>,
    texts: Map<String, Value>,
    tool_calls: Vec<Value>,
    logprobs: Option<Vec<Value>>,
    finish_reason: Option<Value>,
    usage: Option<Value>,
}

impl Assembly {
    /// Takes one chat completion chunk (already checked to be one).
    pub fn take(&mut self, chunk: &Value) {
        for (field, key) in [
            (&mut self.id, "id"),
            (&mut self.model, "model"),
            (&mut self.created, "created"),
            (&mut self.fingerprint, "system_fingerprint"),
        ] {
            if field.is_none() {
                *field = chunk.get(key).filter(|v| !v.is_null()).cloned();
            }
        }
        if chunk["usage"].is_object() {
            self.usage = chunk.get("usage").cloned();
        }
        let choices = chunk["choices"].as_array().into_iter().flatten();
        for choice in choices.filter(|c| c["index"].as_u64().unwrap_or(0) == 0) {
            let delta = &choice["delta"];
            for field in TEXT_FIELDS {
                if let Some(text) = delta[field].as_str() {
                    let slot = self.texts.entry(field).or_insert_with(|| "".into());
                    if let Value::String(s) = slot {
                        s.push_str(text);
                    }
                }
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                self.tool_call(call);
            }
            if let Some(items) = choice["logprobs"]["content"].as_array() {
                self.logprobs
                    .get_or_insert_with(Vec::new)
                    .extend(items.iter().cloned());
            }
            if choice["finish_reason"].is_string() {
                self.finish_reason = Some(choice["finish_reason"].clone());
            }
        }
    }

    /// Merges a tool call delta into the call at its `index`: the first delta names it, later
    /// ones add to its name and arguments.
    fn tool_call(&mut self, delta: &Value) {
        let index = delta["index"].as_u64().unwrap_or(0);
        let at = self
            .tool_calls
            .iter()
            .position(|c| c["index"].as_u64() == Some(index));
        let Some(at) = at else {
            let mut call = delta.clone();
            call["index"] = index.into();
            self.tool_calls.push(call);
            return;
        };
        let call = &mut self.tool_calls[at];
        for key in ["id", "type"] {
            if call[key].is_null() && !delta[key].is_null() {
                call[key] = delta[key].clone();
            }
        }
        for part in ["name", "arguments"] {
            if let Some(more) = delta["function"][part].as_str() {
                let had = call["function"][part].as_str().unwrap_or_default();
                call["function"][part] = format!("{had}{more}").into();
            }
        }
    }

    /// The answer's `content` so far.
    pub fn text(&self) -> &str {
        self.texts
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The `finish_reason` seen, if any.
    pub fn finish_reason(&self) -> Option<&str> {
        self.finish_reason.as_ref().and_then(Value::as_str)
    }

    /// The usage object seen last, if any.
    pub fn usage(&self) -> Option<&Value> {
        self.usage.as_ref()
    }

    /// The whole chat completion (`object: chat.completion`). `id` and `model` stand in for
    /// what the chunks did not say; a stream that ended without a `finish_reason` finished
    /// with `stop`.
    pub fn completion(&self, id: &str, model: &str) -> Value {
        let mut message = json!({"role": "assistant", "content": self.text()});
        for (field, text) in &self.texts {
            message[field] = text.clone();
        }
        if !self.tool_calls.is_empty() {
            message["tool_calls"] = Value::Array(self.tool_calls.clone());
            if self.texts.get("content").is_none() {
                message["content"] = Value::Null;
            }
        }
        let logprobs = self
            .logprobs
            .as_ref()
            .map_or(Value::Null, |items| json!({"content": items}));
        let mut out = json!({
            "id": self.id.clone().unwrap_or_else(|| id.into()),
            "object": "chat.completion",
            "created": self.created.clone().unwrap_or_else(|| 0.into()),
            "model": self.model.clone().unwrap_or_else(|| model.into()),
            "choices": [{
                "index": 0,
                "message": message,
                "finish_reason": self.finish_reason.clone().unwrap_or_else(|| "stop".into()),
                "logprobs": logprobs,
            }],
        });
        if let Some(usage) = &self.usage {
            out["usage"] = usage.clone();
        }
        if let Some(fingerprint) = &self.fingerprint {
            out["system_fingerprint"] = fingerprint.clone();
        }
        out
    }
}

/// `usage` stating `tokens` completion tokens: the backend's object with its
/// `completion_tokens` (and `total_tokens`, when `prompt_tokens` is known) set, or a new one
/// when it sent none (`prompt_tokens` 0: not known).
pub fn usage_stating(usage: Option<&Value>, tokens: u64) -> Value {
    let mut usage = usage
        .filter(|u| u.is_object())
        .cloned()
        .unwrap_or_else(|| json!({"prompt_tokens": 0}));
    usage["completion_tokens"] = tokens.into();
    let prompt = usage["prompt_tokens"].as_u64().unwrap_or(0);
    usage["total_tokens"] = prompt.saturating_add(tokens).into();
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(text: &str) -> Value {
        json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
    }

    fn tally(chunks: &[Value]) -> Tally {
        let mut t = Tally::default();
        for c in chunks {
            t.take(c);
        }
        t
    }

    /// llama.cpp's stream of "Hé€": a role-only opening chunk, `"Hi"`, one empty chunk then
    /// `é` (two byte tokens), two empty chunks then `€` (three), a closing chunk.
    fn llama() -> Vec<Value> {
        let mut out = vec![json!({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})];
        out.extend(["Hi", "", "é", "", "", "€"].map(content));
        out.push(json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}));
        out
    }

    #[test]
    fn every_byte_token_counts_once_and_the_opening_and_closing_chunks_do_not() {
        let t = tally(&llama());
        assert_eq!((t.chunks(), t.bytes(), t.usage()), (6, 7, None));
        assert_eq!(t.tokens(), 6, "as llama.cpp's usage says");
        // Without the empty chunks (the old rule) the same answer was 3.
        let mut with_usage = llama();
        with_usage.push(json!({"choices": [], "usage": {"completion_tokens": 6}}));
        assert_eq!(tally(&with_usage).tokens(), 6);
    }

    #[test]
    fn openings_and_closings_as_vllm_ollama_and_llama_server_send_them() {
        let vllm = [
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}),
            content("a"),
            json!({"choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}]}),
        ];
        assert_eq!(tally(&vllm).chunks(), 1);
        let ollama = [
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]}),
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": "stop"}]}),
        ];
        assert_eq!(
            tally(&ollama).chunks(),
            1,
            "the first token comes with the role"
        );
        let llama_server = [
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": null}}]}),
            content("x"),
        ];
        assert_eq!(tally(&llama_server).chunks(), 1);
    }

    #[test]
    fn attack_usage_of_a_billion_is_held_to_the_bytes_delivered() {
        let mut chunks = llama();
        chunks.push(json!({"choices": [], "usage": {"completion_tokens": 1_000_000_000u64}}));
        assert_eq!(tally(&chunks).tokens(), 7, "7 bytes of text");
        // Usage on every chunk (vLLM's continuous usage): the last one stands, bounded too.
        let mut each = content("ab");
        each["usage"] = json!({"completion_tokens": 40});
        assert_eq!(tally(&[each]).tokens(), 2);
    }

    #[test]
    fn attack_padding_with_empty_chunks_earns_nothing_past_the_bytes() {
        let mut chunks = vec![content("ok")];
        chunks.extend(std::iter::repeat_n(content(""), 1_000));
        let t = tally(&chunks);
        assert_eq!((t.chunks(), t.tokens()), (1_001, 2));
        // Nor do role-only or closing chunks, however many.
        let role =
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]});
        assert_eq!(tally(&vec![role; 50]).tokens(), 0);
    }

    #[test]
    fn a_model_that_reasons_or_calls_tools_is_counted_on_that_text_too() {
        let chunks = [
            json!({"choices": [{"index": 0, "delta": {"reasoning_content": "think"}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}}]}),
            json!({"choices": [], "usage": {"completion_tokens": 4}}),
        ];
        let t = tally(&chunks);
        assert_eq!((t.chunks(), t.bytes(), t.tokens()), (3, 8, 4));
        assert!(is_usage_chunk(&chunks[3]) && !is_usage_chunk(&chunks[0]));
        assert!(is_usage_chunk(&json!({"usage": {}})));
    }

    #[test]
    fn a_whole_answer_is_its_usage_or_its_words_at_most_its_bytes() {
        let answer = |usage: Value| {
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "two words"}}],
                   "usage": usage})
        };
        assert_eq!(whole_tokens(&answer(json!({"completion_tokens": 4}))), 4);
        assert_eq!(whole_tokens(&answer(Value::Null)), 2);
        assert_eq!(
            whole_tokens(&answer(json!({"completion_tokens": 1u64 << 40}))),
            9
        );
        assert_eq!(whole_tokens(&json!({"usage": {"completion_tokens": 5}})), 0);
    }

    #[test]
    fn usage_states_the_tokens_given() {
        let backend = json!({"prompt_tokens": 3, "completion_tokens": 50, "total_tokens": 53});
        assert_eq!(
            usage_stating(Some(&backend), 12),
            json!({"prompt_tokens": 3, "completion_tokens": 12, "total_tokens": 15})
        );
        assert_eq!(
            usage_stating(None, 7),
            json!({"prompt_tokens": 0, "completion_tokens": 7, "total_tokens": 7})
        );
    }

    #[test]
    fn an_assembly_without_ids_or_finish_says_so_plainly() {
        let mut a = Assembly::default();
        a.take(&json!({"choices": [{"delta": {"content": "Hi"}}]}));
        a.take(&json!({"choices": [{"index": 1, "delta": {"content": " other choice"}}]}));
        a.take(
            &json!({"choices": [{"index": 0, "delta": {"content": " there", "refusal": "no"}}]}),
        );
        assert_eq!(a.text(), "Hi there");
        assert_eq!(
            a.completion("yellowstone-0x01", "mock-1b"),
            json!({"id": "yellowstone-0x01", "object": "chat.completion", "created": 0, "model": "mock-1b",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there", "refusal": "no"},
                                "finish_reason": "stop", "logprobs": null}]})
        );
    }

    #[test]
    fn tool_calls_reasoning_and_log_probabilities_are_put_together() {
        let mut a = Assembly::default();
        for chunk in [
            json!({"id": "c", "model": "m", "created": 5, "choices": [{"index": 0, "delta": {"role": "assistant", "reasoning_content": "hm"}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "t1", "type": "function", "function": {"name": "get", "arguments": "{\"a\""}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]},
                                "logprobs": {"content": [{"token": "x", "logprob": -0.5}]}}]}),
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}], "usage": {"completion_tokens": 3}}),
        ] {
            a.take(&chunk);
        }
        assert_eq!(
            a.completion("unused", "unused"),
            json!({"id": "c", "object": "chat.completion", "created": 5, "model": "m",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "reasoning_content": "hm",
                                "tool_calls": [{"index": 0, "id": "t1", "type": "function",
                                                "function": {"name": "get", "arguments": "{\"a\":1}"}}]},
                                "finish_reason": "tool_calls",
                                "logprobs": {"content": [{"token": "x", "logprob": -0.5}]}}],
                   "usage": {"completion_tokens": 3}})
        );
        assert_eq!(
            (a.finish_reason(), a.usage().is_some()),
            (Some("tool_calls"), true)
        );
    }
}
