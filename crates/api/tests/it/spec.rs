//! Just enough YAML to read `docs/openapi.yaml`: its schemas (properties, `required`,
//! `nullable`, `enum`) and the schema each route answers 200 with. It reads the file's own
//! layout (two-space indentation, `required` and `enum` as flow lists, one schema per
//! `components.schemas` entry), not YAML at large; a layout it does not know fails the test.

use std::collections::{BTreeMap, BTreeSet};

/// One property of a schema.
#[derive(Debug, Default)]
pub(crate) struct Property {
    /// `nullable: true`.
    pub(crate) nullable: bool,
    /// Its `enum`, if it has one.
    pub(crate) values: Option<BTreeSet<String>>,
}

/// One entry of `components.schemas`.
#[derive(Debug, Default)]
pub(crate) struct Schema {
    /// Its properties, by name.
    pub(crate) properties: BTreeMap<String, Property>,
    /// Its `required` list.
    pub(crate) required: BTreeSet<String>,
    /// Its own `enum` (a string schema), if it has one.
    pub(crate) values: Option<BTreeSet<String>>,
}

/// What the test reads of the file.
#[derive(Debug, Default)]
pub(crate) struct Spec {
    /// Every schema, by name.
    pub(crate) schemas: BTreeMap<String, Schema>,
    /// `METHOD path` to the schema named by its JSON 200 answer (`inline` when not named).
    pub(crate) answers: BTreeMap<String, String>,
}

/// A flow list, `[a, "b"]`, as its items without quotes.
fn flow_list(text: &str) -> BTreeSet<String> {
    let inner = text
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .unwrap_or_else(|| panic!("not a flow list: {text}"))
        .0;
    inner
        .split(',')
        .map(|item| item.trim().trim_matches('"').to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

/// The `enum: [...]` inside `text`, if any.
fn enum_in(text: &str) -> Option<BTreeSet<String>> {
    text.split_once("enum: ").map(|(_, rest)| flow_list(rest))
}

/// Reads the schemas and the routes' 200 answers.
pub(crate) fn read(yaml: &str) -> Spec {
    let mut spec = Spec::default();
    // The top-level key, and under `components` the second-level one (`schemas`).
    let (mut section, mut part) = ("", "");
    let (mut schema, mut property): (Option<String>, Option<String>) = (None, None);
    let mut in_properties = false;
    let (mut route, mut path, mut in_ok, mut json) = (None, String::new(), false, false);
    for line in yaml.lines() {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if indent == 0 {
            section = text.trim_end_matches(':');
            continue;
        }
        if section == "components" && indent == 2 {
            part = text.trim_end_matches(':');
            continue;
        }
        match (section, part) {
            ("paths", _) => match indent {
                2 => path = text.trim_end_matches(':').trim_matches('"').to_string(),
                4 => {
                    route = Some(format!(
                        "{} {path}",
                        text.trim_end_matches(':').to_uppercase()
                    ))
                }
                8 => in_ok = text == "\"200\":",
                _ if in_ok && text.ends_with(':') && !text.starts_with("schema") => {
                    json = text == "application/json:";
                }
                _ if in_ok && json && text.starts_with("schema:") => {
                    let name = text
                        .split_once("#/components/schemas/")
                        .map_or("inline", |(_, rest)| rest.trim_end_matches(['"', ' ', '}']));
                    let route = route.clone().expect("a method before its answer");
                    spec.answers.insert(route, name.to_string());
                }
                _ => {}
            },
            ("components", "schemas") => match indent {
                4 => {
                    let name = text.trim_end_matches(':').to_string();
                    spec.schemas.insert(name.clone(), Schema::default());
                    (schema, property, in_properties) = (Some(name), None, false);
                }
                6 => {
                    let current = current(&mut spec, &schema);
                    in_properties = text == "properties:";
                    if let Some(list) = text.strip_prefix("required:") {
                        current.required = flow_list(list);
                    } else if text.starts_with("enum:") {
                        current.values = enum_in(text);
                    }
                }
                8 if in_properties => {
                    let (name, rest) = text.split_once(':').expect("a property");
                    let p = Property {
                        nullable: rest.contains("nullable: true"),
                        values: enum_in(rest),
                    };
                    current(&mut spec, &schema)
                        .properties
                        .insert(name.to_string(), p);
                    property = Some(name.to_string());
                }
                10 if in_properties => {
                    let name = property.as_ref().expect("a property before its lines");
                    let current = current(&mut spec, &schema);
                    let p = current.properties.get_mut(name).expect("the property");
                    p.nullable |= text == "nullable: true";
                    if text.starts_with("enum:") {
                        p.values = enum_in(text);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    spec
}

fn current<'a>(spec: &'a mut Spec, schema: &Option<String>) -> &'a mut Schema {
    let name = schema.as_ref().expect("a schema name before its lines");
    spec.schemas.get_mut(name).expect("the schema")
}
