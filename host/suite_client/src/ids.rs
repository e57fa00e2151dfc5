//! Canister-id files. Reads dfx's `canister_ids.json` shape (`{"name": {"<network>": "id"}}`)
//! and a flat `{"name": "id"}` map; writes the dfx shape, so the ids a deployment created can be
//! used by dfx, by the scripts and by this client alike.

use std::path::Path;

use candid::Principal;
use interfaces::CanisterKind;
use serde_json::{Map, Value};

/// The canisters of `path` for `network`, the suite's six first in deployment order.
pub fn read(path: &Path, network: &str) -> Result<Vec<(String, Principal)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let Value::Object(map) = value else {
        return Err(format!("{}: not a JSON object", path.display()));
    };
    let mut out = Vec::new();
    for (name, v) in &map {
        let text = match v {
            Value::String(s) => Some(s.as_str()),
            Value::Object(nets) => nets.get(network).and_then(Value::as_str),
            _ => None,
        };
        if let Some(text) = text {
            let id = Principal::from_text(text)
                .map_err(|e| format!("{}: {name}: {e}", path.display()))?;
            out.push((name.clone(), id));
        }
    }
    out.sort_by_key(|(name, _)| {
        let rank = CanisterKind::ALL
            .iter()
            .position(|k| name == k.name() || name.starts_with(&format!("{}_", k.name())))
            .unwrap_or(CanisterKind::ALL.len());
        (rank, name.clone())
    });
    Ok(out)
}

/// Records `name → id` for `network` in `path` (dfx shape), keeping every other entry.
pub fn write(path: &Path, network: &str, name: &str, id: Principal) -> Result<(), String> {
    let mut map = match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(Value::Object(m)) => m,
            _ => return Err(format!("{}: not a JSON object", path.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let entry = map
        .entry(name.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry
        .as_object_mut()
        .expect("an object")
        .insert(network.to_string(), Value::String(id.to_text()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&Value::Object(map)).expect("json");
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dfx_and_flat_files_read_in_suite_order() {
        let dir = std::env::temp_dir().join(format!("suite-ids-{}", std::process::id()));
        let path = dir.join("canister_ids.json");
        let a = Principal::from_slice(&[1; 10]);
        let b = Principal::from_slice(&[2; 10]);
        write(&path, "local", "notification", a).unwrap();
        write(&path, "local", "canister_registry", b).unwrap();
        write(&path, "ic", "canister_registry", a).unwrap();
        let ids = read(&path, "local").unwrap();
        assert_eq!(
            ids,
            vec![("canister_registry".into(), b), ("notification".into(), a)]
        );
        std::fs::write(&path, format!("{{\"calendar\": \"{}\"}}", a.to_text())).unwrap();
        assert_eq!(read(&path, "any").unwrap(), vec![("calendar".into(), a)]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
