//! Every word the capture page shows, one TOML file per language in
//! `capture/lang/`, compiled in. English is complete (a test holds it to
//! every key the page and the server use); another language may leave keys
//! out, and English fills them.

use std::{
    collections::{BTreeMap, HashMap},
    sync::LazyLock,
};

/// The languages, English first: the code `?lang=` and `Accept-Language`
/// name, and the file.
const FILES: &[(&str, &str)] = &[
    ("en", include_str!("lang/en.toml")),
    ("de", include_str!("lang/de.toml")),
];

/// One language's strings, English filling what it leaves out.
pub type Strings = BTreeMap<String, String>;

static LANGUAGES: LazyLock<HashMap<&'static str, Strings>> = LazyLock::new(|| {
    let english = flatten(FILES[0].1);
    FILES
        .iter()
        .map(|(code, text)| {
            let mut strings = english.clone();
            strings.extend(flatten(text));
            (*code, strings)
        })
        .collect()
});

/// `[step.face] title = "…"` as `step.face.title`. The files are compiled
/// in and parsed by a test, so a broken one never reaches a server.
fn flatten(text: &str) -> Strings {
    fn walk(prefix: &str, value: &toml::Value, out: &mut Strings) {
        match value {
            toml::Value::Table(table) => {
                for (key, value) in table {
                    let key = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&key, value, out);
                }
            }
            toml::Value::String(text) => {
                out.insert(prefix.to_owned(), text.clone());
            }
            _ => {}
        }
    }
    let mut out = Strings::new();
    if let Ok(table) = text.parse::<toml::Table>() {
        walk("", &toml::Value::Table(table), &mut out);
    }
    out
}

/// The language to speak: `?lang=` when there is such a file, else the
/// first of `Accept-Language` there is, else English.
pub fn choose(asked: Option<&str>, accept_language: Option<&str>) -> &'static str {
    let known = |tag: &str| {
        let primary = tag
            .split(['-', '_', ';'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        FILES.iter().map(|(code, _)| *code).find(|code| *code == primary)
    };
    asked
        .and_then(known)
        .or_else(|| accept_language.and_then(|header| header.split(',').find_map(known)))
        .unwrap_or(FILES[0].0)
}

/// The strings of a language `choose` returned.
pub fn of(lang: &str) -> &'static Strings {
    LANGUAGES.get(lang).unwrap_or_else(|| &LANGUAGES[FILES[0].0])
}

/// One string; the key itself when missing, so that a gap shows on the
/// page instead of failing it.
pub fn get<'a>(strings: &'a Strings, key: &'a str) -> &'a str {
    strings.get(key).map_or(key, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{feedback::Hint, steps};

    #[test]
    fn every_language_file_parses_and_has_exactly_englishs_keys() {
        let english = flatten(FILES[0].1);
        assert!(english.len() > 50, "{}", english.len());
        for (code, text) in FILES {
            let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("lang/{code}.toml: {e}"));
            assert!(!table.is_empty(), "{code}");
            let own = flatten(text);
            for key in own.keys() {
                assert!(
                    english.contains_key(key),
                    "lang/{code}.toml has {key}, which English lacks"
                );
            }
            let missing: Vec<&String> = english.keys().filter(|k| !own.contains_key(*k)).collect();
            assert!(missing.is_empty(), "lang/{code}.toml lacks {missing:?}");
        }
    }

    #[test]
    fn english_has_a_title_and_hint_for_every_step_and_words_for_every_hint() {
        let english = of("en");
        for step in steps::DOCUMENT_AND_SELFIE {
            for part in ["title", "hint"] {
                let key = format!("step.{}.{part}", step.context.as_str());
                assert!(english.contains_key(&key), "{key}");
            }
        }
        for hint in Hint::ALL {
            let key = hint.key();
            assert!(english.contains_key(&key), "{key}");
        }
    }

    #[test]
    fn the_language_is_the_one_asked_for_else_the_browsers_else_english() {
        assert_eq!(choose(Some("en"), None), "en");
        assert_eq!(choose(Some("EN-gb"), None), "en");
        assert_eq!(choose(Some("xx"), Some("en-US,en;q=0.9")), "en");
        assert_eq!(choose(None, Some("xx, en;q=0.5")), "en");
        assert_eq!(choose(None, None), "en");
        assert_eq!(choose(Some("de"), Some("en")), "de");
        assert_eq!(choose(None, Some("fr-CH, de-DE;q=0.8, en;q=0.5")), "de");
        assert_eq!(get(of("de"), "page.title"), "Identität bestätigen");
        assert_eq!(get(of("en"), "no.such.key"), "no.such.key");
    }
}
