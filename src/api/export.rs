//! `/v1/catalogue`: the whole catalogue in one answer, as JSON, NDJSON or CSV by
//! `Accept` negotiation.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::answer::{Built, Cacheable};
use super::envelope::SCHEMA_VERSION;
use super::filters::{Expand, Fields, technology_json};
use super::problem::{ApiError, ProblemDetails};
use super::query::QueryPairs;
use super::technologies::TechnologyDetail;
use crate::catalogue::{Catalogue, Date};

/// Tag of the export operation in the OpenAPI document.
pub const TAG: &str = "export";

/// Media type of newline-delimited JSON.
pub const NDJSON: &str = "application/x-ndjson";
/// Media type of CSV.
pub const CSV: &str = "text/csv; charset=utf-8";

/// A representation the export can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Ndjson,
    Csv,
}

impl Format {
    const OFFERED: [&'static str; 4] = [
        "application/json",
        "application/x-ndjson",
        "application/ndjson",
        "text/csv",
    ];

    fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
        }
    }

    fn for_media_type(media_type: &str) -> Option<Format> {
        match media_type {
            "application/json" | "application/*" | "*/*" => Some(Format::Json),
            "application/x-ndjson" | "application/ndjson" => Some(Format::Ndjson),
            "text/csv" | "text/*" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Picks the representation the `Accept` header prefers (RFC 9110 §12.5.1):
/// highest q first, then the more specific range; no header means JSON.
fn negotiate(accept: Option<&str>) -> Option<Format> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Format::Json);
    };
    let mut best: Option<(u32, u8, Format)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media_type = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut quality = 1000;
        for parameter in parts {
            if let Some(q) = parameter
                .strip_prefix("q=")
                .or_else(|| parameter.strip_prefix("Q="))
            {
                quality = q
                    .parse::<f32>()
                    .map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u32)
                    .unwrap_or(0);
            }
        }
        let Some(format) = Format::for_media_type(&media_type) else {
            continue;
        };
        let specificity = match media_type.as_str() {
            "*/*" => 0,
            t if t.ends_with("/*") => 1,
            _ => 2,
        };
        if quality > 0 && best.is_none_or(|(q, s, _)| (quality, specificity) > (q, s)) {
            best = Some((quality, specificity, format));
        }
    }
    best.map(|(_, _, format)| format)
}

/// The whole catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueExport {
    /// Version of the answer schema.
    #[schema(example = "1")]
    pub schema_version: &'static str,
    /// The day the catalogue's data last changed.
    #[schema(value_type = Option<String>, format = Date, example = "2026-11-26")]
    pub catalogue_updated: Option<Date>,
    /// The day the release lifecycle facts were taken from endoflife.date.
    #[schema(value_type = Option<String>, format = Date, example = "2026-08-22")]
    pub lifecycle_as_of: Option<Date>,
    /// Number of technologies.
    pub total: usize,
    /// Every technology with its lifecycle, sorted by name.
    pub items: Vec<TechnologyDetail>,
}

/// Export the whole catalogue
///
/// Every technology (with its release lifecycle) in one answer, for mirrors and
/// offline use. The representation follows `Accept`: `application/json` (default:
/// an object with `schema_version`, `catalogue_updated`, `lifecycle_as_of` and
/// `items`), `application/x-ndjson` (one technology per line) or `text/csv` (one row
/// per technology; list fields joined with `; `). NDJSON and CSV carry the schema
/// version and the catalogue's date in the `X-Schema-Version` and `Last-Modified`
/// headers. Any other `Accept` is a 406 problem listing what is offered.
///
/// `curl -s -H 'Accept: text/csv' http://localhost:8080/v1/catalogue`
#[utoipa::path(
    tag = TAG,
    responses(
        (status = 200, description = "The whole catalogue.",
            content(
                (CatalogueExport = "application/json"),
                (String = "application/x-ndjson", example = json!("{\"id\":\"actix-web\",\"name\":\"Actix Web\",...}\n{\"id\":\"activerecord\",...}\n")),
                (String = "text/csv", example = json!("id,name,kind,summary,...\r\nactix-web,Actix Web,web_framework,...\r\n")),
            ),
            headers(("X-Schema-Version" = String, description = "Version of the answer schema"))),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` names no representation offered.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/catalogue")]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryPairs::parse(&req, &[])?;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let format =
        negotiate(accept).ok_or_else(|| ApiError::not_acceptable(&req, &Format::OFFERED))?;
    let snapshot = state.snapshots.current();
    Cacheable::new(&req, &snapshot, &state.cache, format.name())
        .varying_by_accept()
        .respond(|| {
            let catalogue = &snapshot.catalogue;
            let today = Date::today();
            let built = match format {
                Format::Json => Built::json(&req, &export_json(catalogue, today)?)?,
                Format::Ndjson => Built {
                    body: ndjson(catalogue, today).map_err(|e| ApiError::internal(&req, &e))?,
                    content_type: NDJSON,
                    headers: Vec::new(),
                },
                Format::Csv => Built {
                    body: csv(catalogue).into_bytes(),
                    content_type: CSV,
                    headers: Vec::new(),
                },
            };
            Ok(built.with_header("x-schema-version", SCHEMA_VERSION.to_owned()))
        })
}

fn details(catalogue: &Catalogue, today: Date) -> Vec<TechnologyDetail> {
    catalogue
        .technologies()
        .iter()
        .enumerate()
        .map(|(position, technology)| TechnologyDetail {
            technology: technology.clone(),
            lifecycle: super::technologies::lifecycle_view(catalogue, position, today),
            related: None,
        })
        .collect()
}

fn export_json(catalogue: &Catalogue, today: Date) -> Result<CatalogueExport, ApiError> {
    Ok(CatalogueExport {
        schema_version: SCHEMA_VERSION,
        catalogue_updated: catalogue.updated(),
        lifecycle_as_of: catalogue.lifecycle_as_of(),
        total: catalogue.len(),
        items: details(catalogue, today),
    })
}

fn ndjson(catalogue: &Catalogue, today: Date) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(catalogue.len() * 4096);
    let expand = Expand {
        related: false,
        lifecycle: true,
    };
    for position in 0..catalogue.len() {
        serde_json::to_writer(
            &mut out,
            &technology_json(catalogue, position, today, expand, &Fields::default())?,
        )?;
        out.push(b'\n');
    }
    Ok(out)
}

/// CSV columns: scalar fields as they are, list fields joined with `; `.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "name",
    "kind",
    "summary",
    "first_released",
    "license",
    "developer",
    "website",
    "repository",
    "documentation",
    "aliases",
    "tags",
    "written_in",
    "for_language",
    "runs_on",
    "built_on",
    "alternative_to",
    "used_with",
    "endoflife",
    "sources",
];

/// Quotes a CSV field when it holds a separator, quote or line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn csv(catalogue: &Catalogue) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for t in catalogue.technologies() {
        let r = &t.relations;
        let cells = [
            t.id.clone(),
            t.name.clone(),
            t.kind.as_str().to_owned(),
            t.summary.clone(),
            t.first_released.map(|y| y.to_string()).unwrap_or_default(),
            t.license.clone().unwrap_or_default(),
            t.developer.clone().unwrap_or_default(),
            t.website.clone().unwrap_or_default(),
            t.repository.clone().unwrap_or_default(),
            t.documentation.clone().unwrap_or_default(),
            t.aliases.join("; "),
            t.tags.join("; "),
            r.written_in.join("; "),
            r.for_language.join("; "),
            r.runs_on.join("; "),
            r.built_on.join("; "),
            r.alternative_to.join("; "),
            r.used_with.join("; "),
            t.identifiers.endoflife.clone().unwrap_or_default(),
            t.sources.join("; "),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_quality_then_specificity() {
        assert_eq!(negotiate(None), Some(Format::Json));
        assert_eq!(negotiate(Some("text/csv")), Some(Format::Csv));
        assert_eq!(
            negotiate(Some("application/x-ndjson")),
            Some(Format::Ndjson)
        );
        assert_eq!(
            negotiate(Some("text/csv;q=0.5, application/json")),
            Some(Format::Json)
        );
        assert_eq!(negotiate(Some("*/*;q=0.1, text/csv")), Some(Format::Csv));
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
