//! A whole chat completion assembled from a streamed one (SPEC 8, `firstTokenMs`).
//!
//! A whole answer shows its first token only together with its last, so its report could not
//! say when the first token came. When the application asks for a whole answer, the client
//! asks the provider for a stream anyway, times the first token, and hands the application
//! the completion put together by [`Assembly`] (shared with the provider's gateway, which
//! puts whole answers together the same way): `id`, `model`, `created`,
//! `choices[0].message.content`, its `finish_reason`, and the provider's `usage`. Where the
//! client does not assemble (several choices, tool calls, log probabilities, audio), [`sound`]
//! says no and the answer is taken whole, its `firstTokenMs` reported as 0.

use serde_json::{Map, Value};
pub use yellowstone_api::stream::Assembly;

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
