//! `/v1/catalogue`: the whole catalogue in one answer, as JSON, NDJSON or CSV by
//! `Accept` negotiation.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header::{self, Header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::answer::{Built, Cacheable, Fresh, JSON, Streamed};
use super::envelope::SCHEMA_VERSION;
use super::filters::{Expand, Fields};
use super::memo::MEMO_MAX_ANSWER;
use super::problem::{ApiError, ProblemDetails};
use super::technologies::TechnologyDetail;
use super::technologies::technology_json;
use crate::catalogue::{Date, Technology};
use crate::snapshot::Snapshot;

/// Tag of the export operation in the OpenAPI document.
pub const TAG: &str = "export";

/// Media type of newline-delimited JSON.
pub const NDJSON: &str = "application/x-ndjson";
/// Media type of CSV.
pub const CSV: &str = "text/csv; charset=utf-8";

/// A representation the export can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Ndjson,
    Csv,
}

impl Format {
    pub(crate) const OFFERED: [&'static str; 4] = [
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

/// Picks the representation the `Accept` header prefers (RFC 9110 §12.5.1),
/// parsed by actix's typed `Accept` header: highest q first, then the more specific
/// range; no header (or an empty one) means JSON, a malformed one nothing.
fn negotiate(req: &HttpRequest) -> Option<Format> {
    let accept = header::Accept::parse(req).ok()?;
    if accept.0.is_empty() {
        return Some(Format::Json);
    }
    let mut best: Option<(header::Quality, u8, Format)> = None;
    for range in &accept.0 {
        let media_type = range.item.essence_str().to_ascii_lowercase();
        let Some(format) = Format::for_media_type(&media_type) else {
            continue;
        };
        let specificity = match media_type.as_str() {
            "*/*" => 0,
            t if t.ends_with("/*") => 1,
            _ => 2,
        };
        let quality = range.quality;
        if quality > header::Quality::ZERO
            && best.is_none_or(|(q, s, _)| (quality, specificity) > (q, s))
        {
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
/// headers. Any other `Accept` is a 406 problem listing what is offered. An answer
/// over 1 MiB is sent as it is made (chunked, without `Content-Length`).
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
    super::params::parse::<super::params::NoParams>(&req)?;
    let format = negotiate(&req).ok_or_else(|| ApiError::not_acceptable(&req, &Format::OFFERED))?;
    let snapshot = state.snapshots.current();
    Cacheable::new(&req, &snapshot, &state, format.name())
        .varying_by_accept()
        .respond_fresh(|| {
            let content_type = match format {
                Format::Json => JSON,
                Format::Ndjson => NDJSON,
                Format::Csv => CSV,
            };
            let headers = vec![("x-schema-version", SCHEMA_VERSION.to_owned())];
            // An answer that fits the memo is made whole (and kept); a larger one
            // is sent as it is made, a chunk at a time, so memory stays bounded
            // whatever the catalogue's size.
            let mut writer = ExportWriter::new(snapshot.clone(), format, Date::today());
            let mut first = Vec::new();
            let more = writer
                .fill(&mut first, MEMO_MAX_ANSWER + 1)
                .map_err(|e| ApiError::internal(&req, &e))?;
            Ok(if more {
                Fresh::Streamed(Streamed {
                    content_type,
                    headers,
                    body: BoxBody::new(ExportStream {
                        writer,
                        first: Some(Bytes::from(first)),
                    }),
                })
            } else {
                Fresh::Whole(Built {
                    body: first,
                    content_type,
                    headers,
                })
            })
        })
}

/// The fields of the JSON export before its items, in [`CatalogueExport`]'s order.
#[derive(Serialize)]
struct ExportHead {
    schema_version: &'static str,
    catalogue_updated: Option<Date>,
    lifecycle_as_of: Option<Date>,
    total: usize,
}

/// Writes the export of a snapshot an entry at a time.
struct ExportWriter {
    snapshot: Arc<Snapshot>,
    format: Format,
    today: Date,
    /// The next entry to write; the head is written with the first.
    next: usize,
    /// True once the tail is written.
    done: bool,
}

impl ExportWriter {
    fn new(snapshot: Arc<Snapshot>, format: Format, today: Date) -> ExportWriter {
        ExportWriter {
            snapshot,
            format,
            today,
            next: 0,
            done: false,
        }
    }

    /// Appends to `out` until it holds at least `bytes` bytes or the export is
    /// complete; true when there is more to write.
    fn fill(&mut self, out: &mut Vec<u8>, bytes: usize) -> Result<bool, serde_json::Error> {
        let catalogue = &self.snapshot.catalogue;
        if self.done {
            return Ok(false);
        }
        if self.next == 0 {
            self.head(out)?;
        }
        while self.next < catalogue.len() && out.len() < bytes {
            self.entry(out, self.next)?;
            self.next += 1;
        }
        if self.next == catalogue.len() {
            if self.format == Format::Json {
                out.extend_from_slice(b"]}");
            }
            self.done = true;
        }
        Ok(!self.done)
    }

    fn head(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        let catalogue = &self.snapshot.catalogue;
        match self.format {
            Format::Json => {
                let head = ExportHead {
                    schema_version: SCHEMA_VERSION,
                    catalogue_updated: catalogue.updated(),
                    lifecycle_as_of: catalogue.lifecycle_as_of(),
                    total: catalogue.len(),
                };
                serde_json::to_writer(&mut *out, &head)?;
                out.pop(); // the closing brace: the items follow
                out.extend_from_slice(b",\"items\":[");
            }
            Format::Ndjson => {}
            Format::Csv => csv_line(out, CSV_COLUMNS)?,
        }
        Ok(())
    }

    fn entry(&self, out: &mut Vec<u8>, position: usize) -> Result<(), serde_json::Error> {
        let catalogue = &self.snapshot.catalogue;
        match self.format {
            Format::Json => {
                if position > 0 {
                    out.push(b',');
                }
                let detail = TechnologyDetail {
                    technology: catalogue.technologies()[position].clone(),
                    lifecycle: super::technologies::lifecycle_view(catalogue, position, self.today),
                    related: None,
                };
                serde_json::to_writer(&mut *out, &detail)?;
            }
            Format::Ndjson => {
                let expand = Expand {
                    related: false,
                    lifecycle: true,
                };
                serde_json::to_writer(
                    &mut *out,
                    &technology_json(catalogue, position, self.today, expand, &Fields::default())?,
                )?;
                out.push(b'\n');
            }
            Format::Csv => csv_line(out, &csv_cells(&catalogue.technologies()[position]))?,
        }
        Ok(())
    }
}

/// Bytes of each chunk of a streamed export.
const CHUNK_BYTES: usize = 64 * 1024;

/// A streamed export: the bytes already made, then the rest a chunk at a time
/// (polled only as fast as the connection takes them).
struct ExportStream {
    writer: ExportWriter,
    first: Option<Bytes>,
}

impl MessageBody for ExportStream {
    type Error = serde_json::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 8 * 1024);
        Poll::Ready(match self.writer.fill(&mut chunk, CHUNK_BYTES) {
            Err(error) => Some(Err(error)),
            Ok(_) if chunk.is_empty() => None,
            Ok(_) => Some(Ok(Bytes::from(chunk))),
        })
    }
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
    "updated",
];

/// Appends one CSV record and its CRLF to `out` (RFC 4180: a field is quoted when it
/// holds a separator, a quote or a line break, its quotes doubled), written by the
/// `csv` crate.
fn csv_line<S: AsRef<[u8]>>(out: &mut Vec<u8>, cells: &[S]) -> Result<(), serde_json::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer
        .write_record(cells)
        .and_then(|()| writer.flush().map_err(csv::Error::from))
        .map_err(|error| serde_json::Error::io(std::io::Error::other(error)))
}

/// One technology's CSV cells, in [`CSV_COLUMNS`] order.
fn csv_cells(t: &Technology) -> [String; 21] {
    let r = &t.relations;
    [
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
        t.updated.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiated(accept: Option<&str>) -> Option<Format> {
        let mut request = actix_web::test::TestRequest::default();
        if let Some(accept) = accept {
            request = request.insert_header((header::ACCEPT, accept));
        }
        negotiate(&request.to_http_request())
    }

    #[test]
    fn negotiation_follows_quality_then_specificity() {
        assert_eq!(negotiated(None), Some(Format::Json));
        assert_eq!(negotiated(Some("")), Some(Format::Json));
        assert_eq!(negotiated(Some("text/csv")), Some(Format::Csv));
        assert_eq!(
            negotiated(Some("application/x-ndjson")),
            Some(Format::Ndjson)
        );
        assert_eq!(
            negotiated(Some("text/csv;q=0.5, application/json")),
            Some(Format::Json)
        );
        assert_eq!(negotiated(Some("*/*;q=0.1, text/csv")), Some(Format::Csv));
        assert_eq!(negotiated(Some("*/*, text/csv")), Some(Format::Csv));
        assert_eq!(negotiated(Some("TEXT/CSV")), Some(Format::Csv));
        assert_eq!(negotiated(Some("text/html")), None);
        assert_eq!(negotiated(Some("application/json;q=0")), None);
    }

    /// The whole export written at once, and in small chunks.
    fn written(snapshot: &Arc<Snapshot>, format: Format, chunk: usize) -> (Vec<u8>, Vec<u8>) {
        let today = Date::today();
        let mut whole = Vec::new();
        let more = ExportWriter::new(snapshot.clone(), format, today)
            .fill(&mut whole, usize::MAX)
            .expect("written");
        assert!(!more);
        let mut writer = ExportWriter::new(snapshot.clone(), format, today);
        let mut chunks = Vec::new();
        let mut count = 0;
        loop {
            let mut part = Vec::new();
            let more = writer.fill(&mut part, chunk).expect("written");
            chunks.extend(part);
            count += 1;
            if !more {
                break;
            }
        }
        assert!(count > 10, "{count} chunks");
        (whole, chunks)
    }

    #[test]
    fn the_written_export_equals_its_serialized_model_in_any_chunks() {
        let catalogue = crate::catalogue::Catalogue::embedded().expect("embedded");
        let snapshot = Arc::new(Snapshot::new(catalogue, 1));
        let catalogue = &snapshot.catalogue;
        let today = Date::today();

        let (whole, chunks) = written(&snapshot, Format::Json, 16 * 1024);
        assert_eq!(whole, chunks);
        let model = CatalogueExport {
            schema_version: SCHEMA_VERSION,
            catalogue_updated: catalogue.updated(),
            lifecycle_as_of: catalogue.lifecycle_as_of(),
            total: catalogue.len(),
            items: (0..catalogue.len())
                .map(|position| TechnologyDetail {
                    technology: catalogue.technologies()[position].clone(),
                    lifecycle: crate::api::technologies::lifecycle_view(catalogue, position, today),
                    related: None,
                })
                .collect(),
        };
        assert_eq!(whole, serde_json::to_vec(&model).expect("JSON"));

        let (whole, chunks) = written(&snapshot, Format::Ndjson, 16 * 1024);
        assert_eq!(whole, chunks);
        let lines: Vec<&[u8]> = whole.split(|b| *b == b'\n').collect();
        assert_eq!(lines.len(), catalogue.len() + 1);
        assert_eq!(lines.last(), Some(&&b""[..]));
        let first: serde_json::Value = serde_json::from_slice(lines[0]).expect("JSON");
        assert_eq!(first["id"], catalogue.technologies()[0].id.as_str());

        let (whole, chunks) = written(&snapshot, Format::Csv, 4 * 1024);
        assert_eq!(whole, chunks);
        let text = String::from_utf8(whole).expect("utf-8");
        assert_eq!(text.matches("\r\n").count(), catalogue.len() + 1);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut out = Vec::new();
        csv_line(&mut out, &["plain", "a, b", "say \"hi\"", "two\nlines", ""])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n"
        );
        assert_eq!(CSV_COLUMNS.len(), 21, "one column per cell of csv_cells");
    }
}
