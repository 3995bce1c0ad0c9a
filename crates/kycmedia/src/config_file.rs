//! The configuration file: a TOML file of settings, named by `--config FILE`
//! or `KYCMEDIA_CONFIG`. Its keys are the settings' environment names
//! without `KYCMEDIA_`, lower-cased (`public_url = "https://…"` is
//! `KYCMEDIA_PUBLIC_URL`, which is `--public-url`), so one name covers every
//! command that takes the setting.
//!
//! The file's values become the flags' defaults before the command line is
//! parsed, so clap stays the one parser and the order of precedence is
//! flag, then environment variable, then file, then built-in default
//! (`config::defaults`). A key no command takes is an error, naming the
//! known ones: a typo must not silently leave a default in force.

use std::{
    collections::{BTreeMap, BTreeSet},
    ffi::OsString,
    path::{Path, PathBuf},
};

use anyhow::{Context as _, bail};
use clap::{Arg, Command};

/// The environment variable that names the file when `--config` does not.
pub const CONFIG_ENV: &str = "KYCMEDIA_CONFIG";
const PREFIX: &str = "KYCMEDIA_";

/// A configuration file's settings, each as the text a flag would take.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub values: BTreeMap<String, String>,
}

/// The file named by `--config FILE` (or `--config=FILE`) anywhere on the
/// command line, else by `KYCMEDIA_CONFIG`. Read before clap parses,
/// because the file decides the defaults clap parses with.
pub fn path_from(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads and parses a configuration file. Values must be strings, integers
/// or booleans: every setting is one flag's value.
pub fn load(path: &Path) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading configuration {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("configuration {} is not valid TOML", path.display()))?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!(
                "configuration {}: `{key}` must be a string, an integer or a boolean, not {}",
                path.display(),
                other.type_str()
            ),
        };
        values.insert(key, text);
    }
    Ok(ConfigFile {
        path: path.to_owned(),
        values,
    })
}

/// The configuration key of a flag: its environment name without the prefix.
pub fn key_of(arg: &Arg) -> Option<String> {
    let env = arg.get_env()?.to_str()?;
    Some(env.strip_prefix(PREFIX)?.to_ascii_lowercase())
}

/// Every key some flag of `command` (or of its subcommands) takes.
pub fn known_keys(command: &Command) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = command.get_arguments().filter_map(key_of).collect();
    for sub in command.get_subcommands() {
        keys.extend(known_keys(sub));
    }
    keys.remove("config");
    keys
}

/// Makes the file's values the defaults of the flags they name, in every
/// subcommand; fails on a key that no flag takes.
pub fn apply(command: Command, file: &ConfigFile) -> anyhow::Result<Command> {
    let known = known_keys(&command);
    let unknown: Vec<&str> = file
        .values
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(*k))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "configuration {}: unknown setting{} {}; known settings: {}",
            file.path.display(),
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            known.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(with_defaults(command, file))
}

fn with_defaults(command: Command, file: &ConfigFile) -> Command {
    command
        .mut_args(|arg| match key_of(&arg).and_then(|key| file.values.get(&key)) {
            Some(value) => arg.default_value(value.clone()),
            None => arg,
        })
        .mut_subcommands(|sub| with_defaults(sub, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_config_flag_is_found_in_either_spelling_and_not_after_a_double_dash() {
        assert_eq!(
            path_from(&args(&["kycmedia", "serve", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            path_from(&args(&["kycmedia", "--config=b.toml", "serve"])),
            Some(PathBuf::from("b.toml"))
        );
        // SAFETY-free: the variable is only read, and unset in this test's runs.
        if std::env::var_os(CONFIG_ENV).is_none() {
            assert_eq!(path_from(&args(&["kycmedia", "sign", "--", "--config", "x"])), None);
        }
    }

    #[test]
    fn a_table_or_array_value_is_refused_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.toml");
        std::fs::write(&path, "listen = [\"a\"]\n").unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(
            error.contains("`listen` must be a string, an integer or a boolean, not array"),
            "{error}"
        );
    }
}
