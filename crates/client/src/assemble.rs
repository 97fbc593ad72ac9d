//! A whole chat completion assembled from a streamed one (SPEC 8, `firstTokenMs`).
//!
//! A whole answer shows its first token only together with its last, so its report could not
//! say when the first token came. When the application asks for a whole answer, the client
//! asks the provider for a stream anyway, times the first token, and hands the application
//! the completion put together here: `id`, `model`, `created`, `choices[0].message.content`,
//! its `finish_reason`, and the provider's `usage`. Where that is not sound (several choices,
//! tool calls, log probabilities, audio), [`sound`] says no and the answer is taken whole, its
//! `firstTokenMs` reported as 0.

use serde_json::{json, Map, Value};

/// Whether a whole-answer request may be asked as a stream and assembled: one choice (`n`
/// absent or 1), no tools or functions, no log probabilities, text only. The streamed form of
/// anything else (tool-call deltas, per-token log probabilities, several interleaved choices,
/// audio) is not merged here.
pub fn sound(request: &Value) -> bool {
    let Some(map) = request.as_object() else {
        return false;
    };
    let set = |key: &str| map.get(key).is_some_and(|v| !v.is_null());
    let one_choice = map
        .get("n")
        .is_none_or(|n| n.is_null() || n.as_u64() == Some(1));
    let text_only = map.get("modalities").is_none_or(|m| {
        m.is_null()
            || m.as_array()
                .is_some_and(|all| all.iter().all(|x| x.as_str() == Some("text")))
    });
    one_choice
        && text_only
        && ![
            "tools",
            "tool_choice",
            "functions",
            "function_call",
            "audio",
        ]
        .iter()
        .any(|k| set(k))
        && map.get("logprobs").and_then(Value::as_bool) != Some(true)
}

/// Asks a whole-answer request `request` as a stream with the usage chunk at its end.
pub fn as_stream(request: &mut Value) {
    if let Some(map) = request.as_object_mut() {
        map.insert("stream".into(), Value::Bool(true));
        let options = map
            .entry("stream_options")
            .or_insert_with(|| Value::Object(Map::new()));
        if !options.is_object() {
            *options = Value::Object(Map::new());
        }
        if let Value::Object(options) = options {
            options.insert("include_usage".into(), Value::Bool(true));
        }
    }
}

/// The pieces of a streamed answer, as they arrive.
#[derive(Clone, Debug, Default)]
pub struct Assembly {
    id: Option<Value>,
    model: Option<Value>,
    created: Option<Value>,
    fingerprint: Option<Value>,
    content: String,
    refusal: Option<String>,
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
        if chunk.get("usage").is_some_and(Value::is_object) {
            self.usage = chunk.get("usage").cloned();
        }
        let choices = chunk["choices"].as_array().into_iter().flatten();
        for choice in choices.filter(|c| c["index"].as_u64().unwrap_or(0) == 0) {
            let delta = &choice["delta"];
            if let Some(text) = delta["content"].as_str() {
                self.content.push_str(text);
            }
            if let Some(text) = delta["refusal"].as_str() {
                self.refusal.get_or_insert_with(String::new).push_str(text);
            }
            if choice["finish_reason"].is_string() {
                self.finish_reason = Some(choice["finish_reason"].clone());
            }
        }
    }

    /// The answer's text so far.
    pub fn text(&self) -> &str {
        &self.content
    }

    /// The whole chat completion (`object: chat.completion`). `id` and `model` stand in for
    /// what the provider's chunks did not say; a stream that ended without a `finish_reason`
    /// finished with `stop`.
    pub fn completion(&self, id: &str, model: &str) -> Value {
        let mut message = json!({"role": "assistant", "content": self.content});
        if let Some(refusal) = &self.refusal {
            message["refusal"] = Value::String(refusal.clone());
        }
        let mut out = json!({
            "id": self.id.clone().unwrap_or_else(|| id.into()),
            "object": "chat.completion",
            "created": self.created.clone().unwrap_or_else(|| 0.into()),
            "model": self.model.clone().unwrap_or_else(|| model.into()),
            "choices": [{
                "index": 0,
                "message": message,
                "finish_reason": self.finish_reason.clone().unwrap_or_else(|| "stop".into()),
                "logprobs": null,
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
