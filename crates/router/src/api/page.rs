//! The market page at `/`: static HTML, CSS and JavaScript embedded in the binary, reading
//! only the public `/v1` API from the browser (no templating, nothing per user on the server).
//! uPlot draws the chart; it is vendored under `assets/vendor/` and reproduced byte for byte
//! by `scripts/vendor-assets.sh` (no CDN).
//!
//! Every asset is sent with a strict Content-Security-Policy (scripts, styles and requests to
//! this origin only, no inline script or style, no framing) and `nosniff`. The page and its
//! own scripts are revalidated on every load (`no-cache` with an `ETag`), so an upgraded
//! router never serves a stale script; the vendored library sits under a versioned path and
//! is cached for a year.

use std::sync::OnceLock;

use alloy_primitives::keccak256;
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router as Routes,
};

/// The policy every page asset is served with.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Never changes under its path (versioned): cached for a year.
    immutable: bool,
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../assets/index.html"),
        immutable: false,
    },
    Asset {
        path: "/assets/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/app.js"),
        immutable: false,
    },
    Asset {
        path: "/assets/app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/app.css"),
        immutable: false,
    },
    Asset {
        path: "/assets/favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../assets/favicon.svg"),
        immutable: false,
    },
    Asset {
        path: "/assets/vendor/uplot-1.6.32/uPlot.iife.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/vendor/uplot-1.6.32/uPlot.iife.min.js"),
        immutable: true,
    },
    Asset {
        path: "/assets/vendor/uplot-1.6.32/uPlot.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/vendor/uplot-1.6.32/uPlot.min.css"),
        immutable: true,
    },
    Asset {
        path: "/assets/vendor/uplot-1.6.32/LICENSE",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../../assets/vendor/uplot-1.6.32/LICENSE"),
        immutable: true,
    },
];

/// The page's routes (stateless, merged into the API's).
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Routes<S> {
    ASSETS
        .iter()
        .enumerate()
        .fold(Routes::new(), |routes, (i, asset)| {
            routes.route(asset.path, get(move |h: HeaderMap| serve(i, h)))
        })
}

/// Each asset's entity tag: the start of its keccak-256, computed once.
fn etag(i: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    &TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &keccak256(a.body).to_string()[2..18]))
            .collect()
    })[i]
}

async fn serve(i: usize, request: HeaderMap) -> Response {
    let asset = &ASSETS[i];
    let tag = etag(i);
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let headers = [
        (header::CONTENT_TYPE, asset.content_type),
        (header::CACHE_CONTROL, cache),
        (header::ETAG, tag),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    let unchanged = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == tag || t.trim() == "*");
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, asset.body).into_response()
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    const SCRIPT: &str = include_str!("../../../../scripts/vendor-assets.sh");
    /// The vendored uPlot's directory under `/assets/vendor/`: its version is in the path,
    /// so a new version is a new URL and the old one may be cached for good.
    const UPLOT_DIR: &str = "uplot-1.6.32";

    /// The pin `NAME=<hex>` in `scripts/vendor-assets.sh`.
    fn pinned(name: &str) -> String {
        SCRIPT
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("scripts/vendor-assets.sh pins no {name}"))
            .trim_matches('"')
            .to_string()
    }

    fn sha256(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The committed library is the very file the script takes from the npm registry: its
    /// version is the one pinned, and each file's sha256 the one pinned.
    #[test]
    fn the_vendored_library_is_the_pinned_npm_release() {
        assert_eq!(format!("uplot-{}", pinned("UPLOT_VERSION")), UPLOT_DIR);
        for (file, pin) in [
            ("uPlot.iife.min.js", "UPLOT_JS_SHA256"),
            ("uPlot.min.css", "UPLOT_CSS_SHA256"),
            ("LICENSE", "UPLOT_LICENSE_SHA256"),
        ] {
            let path = format!("/assets/vendor/{UPLOT_DIR}/{file}");
            let asset = ASSETS.iter().find(|a| a.path == path).unwrap();
            assert_eq!(sha256(asset.body), pinned(pin), "{path}");
        }
    }

    /// The page runs no inline script or style (the policy would block it, and the page would
    /// render nothing): every script and stylesheet is a file of this origin.
    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let html = std::str::from_utf8(ASSETS[0].body).unwrap();
        assert!(!html.contains("style="), "inline style attribute");
        assert!(!html.contains("<style"), "inline style element");
        for tag in html.split("<script").skip(1) {
            let open = &tag[..tag.find('>').unwrap()];
            assert!(open.contains("src=\"/assets/"), "inline script: {open}");
        }
        assert!(!html.contains(" on"), "an inline event handler");
        for referenced in html.split("\"/assets/").skip(1) {
            let path = format!("/assets/{}", &referenced[..referenced.find('"').unwrap()]);
            assert!(
                ASSETS.iter().any(|a| a.path == path),
                "{path} is referenced but not embedded"
            );
        }
    }

    async fn server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, routes::<()>()).await });
        url
    }

    #[tokio::test]
    async fn every_asset_is_served_with_its_type_policy_and_cache_rule() {
        let url = server().await;
        let http = reqwest::Client::new();
        for (i, asset) in ASSETS.iter().enumerate() {
            let response = http
                .get(format!("{url}{}", asset.path))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{}", asset.path);
            let h = response.headers().clone();
            assert_eq!(h[header::CONTENT_TYPE], asset.content_type);
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP);
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            let cache = h[header::CACHE_CONTROL].to_str().unwrap();
            assert_eq!(cache.contains("immutable"), asset.immutable, "{cache}");
            assert_eq!(h[header::ETAG], etag(i));
            assert_eq!(response.bytes().await.unwrap().as_ref(), asset.body);
            // Revalidation: the same tag is answered 304 without a body, another one 200.
            let again = http
                .get(format!("{url}{}", asset.path))
                .header(header::IF_NONE_MATCH, etag(i))
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), 304, "{}", asset.path);
            assert!(again.bytes().await.unwrap().is_empty());
            let stale = http
                .get(format!("{url}{}", asset.path))
                .header(header::IF_NONE_MATCH, "\"0000\"")
                .send()
                .await
                .unwrap();
            assert_eq!(stale.status(), 200, "{}", asset.path);
        }
        // Small: the page and the chart library together.
        let bytes: usize = ASSETS.iter().map(|a| a.body.len()).sum();
        assert!(bytes < 100 * 1024, "{bytes} bytes embedded");
    }
}
