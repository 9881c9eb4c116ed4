//! `/embed/`: the embed example (`examples/embed/index.html`) served by the API
//! itself, so a newcomer can try it without cloning anything. It is the same file
//! a frontend copies, with two changes made once: it talks to the server that
//! served it (its own origin) unless `?api=` names another, and its script is
//! served apart (`/embed/app.js`), so the page's Content-Security-Policy allows
//! scripts from this origin only, never inline ones.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::problem::ApiError;

/// The example as a frontend copies it.
const EXAMPLE: &str = include_str!("../../examples/embed/index.html");
/// The line of the example naming the API it talks to by default.
const DEFAULT_API: &str = r#"const DEFAULT_API = "http://127.0.0.1:8080";"#;
/// Where the page's script is served.
pub const SCRIPT_PATH: &str = "/embed/app.js";

/// The page and its script, as served.
struct Served {
    page: String,
    script: String,
}

/// Splits the example's one inline script out of the page (made once).
fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let open = EXAMPLE.find("<script>");
        let close = EXAMPLE.rfind("</script>");
        match (open, close) {
            (Some(open), Some(close)) if open < close => Served {
                page: format!(
                    "{}<script src=\"{SCRIPT_PATH}\"></script>{}",
                    &EXAMPLE[..open],
                    &EXAMPLE[close + "</script>".len()..]
                ),
                script: EXAMPLE[open + "<script>".len()..close].replacen(
                    DEFAULT_API,
                    "const DEFAULT_API = location.origin;",
                    1,
                ),
            },
            // The example always has its script; a page without one is served as is.
            _ => Served {
                page: EXAMPLE.to_owned(),
                script: String::new(),
            },
        }
    })
}

/// The embed page's query: the API it talks to, read by the page's script.
#[derive(Debug, serde::Deserialize)]
struct EmbedParams {
    #[serde(rename = "api")]
    _api: Option<String>,
}

/// `GET /embed/`: the embed example's page.
/// Content-Security-Policy of the embed example: its script from this origin, its
/// inline styles, and requests to this origin only.
const CSP_EMBED: header::HeaderValue = header::HeaderValue::from_static(
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
);

pub async fn page(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    // The page reads `?api=` itself; nothing else may be given.
    super::params::parse::<EmbedParams>(&req)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP_EMBED))
        .body(served().page.clone()))
}

/// `GET /embed/app.js`: the embed example's script.
pub async fn script(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    super::params::parse::<super::params::NoParams>(&req)?;
    Ok(HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(served().script.clone()))
}

/// `GET /embed`: to `/embed/`, where the page's relative links work.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/embed/"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_split_out_and_talks_to_its_own_origin() {
        let served = served();
        assert!(!served.page.contains("<script>"), "no inline script left");
        assert!(
            served
                .page
                .contains(r#"<script src="/embed/app.js"></script>"#)
        );
        assert!(
            served
                .script
                .contains("const DEFAULT_API = location.origin;")
        );
        assert!(!served.script.contains(DEFAULT_API));
        assert!(served.script.contains("function apiBase()"));
    }
}
