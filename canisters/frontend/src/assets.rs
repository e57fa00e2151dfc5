//! The embedded app and how each file is served, certified with DFINITY's
//! `ic-asset-certification` (response verification v2): every response the router gives,
//! including the SPA fallback and 404s, carries an `IC-Certificate` header the gateway checks.
//!
//! - `index.html` answers `/` and, as the fallback of scope `/`, every path that is no file, so
//!   deep links such as `/week/2026-12-02/` load the app. It carries the `ic_env` cookie and the CSP.
//! - Files under `_app/immutable/` have content hashes in their names: cached for a year.
//!   Everything else must be revalidated.
//! - A missing file under `/_app/` is a certified 404, not the app (a stale chunk must fail loudly).
//! - `br` and `gzip` copies written by the app's build (`precompress`) are chosen by
//!   `Accept-Encoding`.

use ic_asset_certification::{Asset, AssetConfig, AssetEncoding, AssetFallbackConfig, AssetRouter};
use ic_http_certification::StatusCode;

use crate::headers;

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The body of certified 404s (scope `/_app`).
const NOT_FOUND_PATH: &str = "__not_found.html";
const NOT_FOUND_BODY: &[u8] =
    b"<!doctype html><meta charset=utf-8><title>Not found</title><p>Not found.</p>\n";

/// Content types by extension; a file with another extension is served without one (and
/// `nosniff`), which browsers treat as a download.
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("js", "text/javascript"),
    ("css", "text/css"),
    ("json", "application/json"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("ico", "image/x-icon"),
    ("webp", "image/webp"),
    ("woff2", "font/woff2"),
    ("txt", "text/plain; charset=utf-8"),
    ("webmanifest", "application/manifest+json"),
];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "public, no-cache";

fn encodings() -> Vec<(AssetEncoding, String)> {
    vec![
        AssetEncoding::Brotli.default_config(),
        AssetEncoding::Gzip.default_config(),
    ]
}

fn with_security(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers.extend(headers::security_headers());
    headers
}

/// The router configuration; `cookie` is the `Set-Cookie` value of HTML pages.
pub fn configs(cookie: &str) -> Vec<AssetConfig> {
    let html_headers = with_security(vec![
        ("cache-control".into(), REVALIDATE.into()),
        ("set-cookie".into(), cookie.into()),
        (
            "content-security-policy".into(),
            headers::content_security_policy(INLINE_SCRIPT_HASHES),
        ),
    ]);
    let mut configs = vec![
        AssetConfig::File {
            path: "index.html".into(),
            content_type: Some("text/html; charset=utf-8".into()),
            headers: html_headers.clone(),
            fallback_for: vec![AssetFallbackConfig {
                scope: "/".into(),
                status_code: Some(StatusCode::OK),
            }],
            aliased_by: vec!["/".into()],
            encodings: encodings(),
        },
        AssetConfig::File {
            path: NOT_FOUND_PATH.into(),
            content_type: Some("text/html; charset=utf-8".into()),
            headers: html_headers.clone(),
            fallback_for: vec![AssetFallbackConfig {
                scope: "/_app".into(),
                status_code: Some(StatusCode::NOT_FOUND),
            }],
            aliased_by: vec![],
            encodings: vec![],
        },
    ];
    // Prerendered pages are pages too: the same cookie and policy as index.html.
    configs.push(AssetConfig::Pattern {
        pattern: "**/*.html".into(),
        content_type: Some("text/html; charset=utf-8".into()),
        headers: html_headers,
        encodings: encodings(),
    });
    for (ext, content_type) in CONTENT_TYPES {
        for (pattern, cache) in [
            (format!("_app/immutable/**/*.{ext}"), IMMUTABLE),
            (format!("**/*.{ext}"), REVALIDATE),
        ] {
            configs.push(AssetConfig::Pattern {
                pattern,
                content_type: Some(content_type.to_string()),
                headers: with_security(vec![("cache-control".into(), cache.into())]),
                encodings: encodings(),
            });
        }
    }
    configs
}

/// A router with every embedded file certified under `configs(cookie)`.
pub fn certified_router(cookie: &str) -> AssetRouter<'static> {
    let mut assets: Vec<Asset<'static, 'static>> = ASSETS
        .iter()
        .map(|(path, bytes)| Asset::new(*path, *bytes))
        .collect();
    assets.push(Asset::new(NOT_FOUND_PATH, NOT_FOUND_BODY));
    let mut router = AssetRouter::default();
    router
        .certify_assets(assets, configs(cookie))
        .expect("the embedded app certifies under its own configuration");
    router
}
