//! Embeds the built web app (`frontend/build`, or `FRONTEND_BUILD_DIR`) into the canister.
//!
//! Writes `$OUT_DIR/assets.rs`: one `include_bytes!` per file, so rustc itself tracks every file
//! and an upgrade replaces code and assets together. Written here rather than with `include_dir`
//! because the build must also fail clearly when the app is missing and must hash the page's
//! inline scripts for the Content-Security-Policy (`INLINE_SCRIPT_HASHES`), which needs the files
//! before compilation anyway.

use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=FRONTEND_BUILD_DIR");
    let dir = match std::env::var_os("FRONTEND_BUILD_DIR") {
        Some(d) => PathBuf::from(d),
        None => manifest.join("../../frontend/build"),
    };
    let index = dir.join("index.html");
    if !index.is_file() {
        panic!(
            "\n\nThe frontend canister embeds the built web app, but {} does not exist.\n\
             Build the app first: scripts/build-frontend.sh (npm ci && npm run build in frontend/).\n\n",
            index.display()
        );
    }
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut files = Vec::new();
    collect(&dir, &dir, &mut files);
    files.sort();
    let mut out =
        String::from("/// Every file of the built app: (path from the app root, bytes).\n");
    out.push_str("pub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        out.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push_str("];\n");

    // Every page's inline scripts (SvelteKit's boot script differs per prerendered page).
    let mut hashes = std::collections::BTreeSet::new();
    for (rel, abs) in files.iter().filter(|(rel, _)| rel.ends_with(".html")) {
        let html = std::fs::read_to_string(abs).unwrap_or_else(|e| panic!("{rel}: {e}"));
        for script in inline_scripts(&html) {
            let digest = Sha256::digest(script.as_bytes());
            hashes.insert(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
    }
    let hashes: Vec<String> = hashes.into_iter().collect();
    out.push_str(&format!(
        "/// CSP sources of the pages' inline scripts (SvelteKit's boot script).\npub const INLINE_SCRIPT_HASHES: &str = {:?};\n",
        hashes.join(" ")
    ));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("assets.rs"), out).expect("write assets.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("read the app's build directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let abs = path.canonicalize().expect("canonical path");
            files.push((rel, abs));
        }
    }
}

/// The bodies of `<script>` elements without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            found.push(&after[body_start..body_start + close]);
        }
        rest = &after[body_start + close..];
    }
    found
}
