//! Server-sent events (`text/event-stream`), read incrementally from a byte stream: the
//! provider's streamed answer arrives in arbitrary pieces.

/// One event: its `event:` name, if any, and its `data:` lines joined by newlines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `None` for the default `message` event.
    pub event: Option<String>,
    /// The data.
    pub data: String,
}

impl SseEvent {
    /// The event as it is written on the wire, ending with its blank line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(name) = &self.event {
            out.push_str(&format!("event: {name}\n"));
        }
        for line in self.data.split('\n') {
            out.push_str(&format!("data: {line}\n"));
        }
        out.push('\n');
        out
    }
}

/// An incremental parser: feed it bytes as they come, take the events completed so far.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
}

impl SseParser {
    /// Takes the next piece of the stream; returns the events it completed. Lines that are
    /// not SSE are skipped (see [`SseParser::push_checked`]).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.push_checked(bytes)
            .into_iter()
            .filter_map(Result::ok)
            .collect()
    }

    /// [`SseParser::push`], also returning, in order, each line that is not SSE (`Err`): not
    /// a comment and not one of the fields `data`, `event`, `id`, `retry`. A provider's
    /// stream has no business sending such lines.
    pub fn push_checked(&mut self, bytes: &[u8]) -> Vec<Result<SseEvent, String>> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..end]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if !self.data.is_empty() || self.event.is_some() {
                    events.push(Ok(SseEvent {
                        event: self.event.take(),
                        data: std::mem::take(&mut self.data).join("\n"),
                    }));
                }
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line, ""),
            };
            match field {
                "event" => self.event = Some(value.to_string()),
                "data" => self.data.push(value.to_string()),
                "" | "id" | "retry" => {} // comments (`: ...`), `id:`, `retry:`
                _ => events.push(Err(line.to_string())),
            }
        }
        events
    }
}
