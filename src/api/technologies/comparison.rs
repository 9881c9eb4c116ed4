//! `GET /v1/compare`: technologies side by side, one row per field.

use super::*;

/// Fewest and most ids a comparison takes.
const COMPARE_IDS: std::ops::RangeInclusive<usize> = 2..=10;

/// Query parameters of `GET /v1/compare`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// The technologies to compare: 2 to 10 ids or aliases, comma-separated or
    /// repeated, each once (`uniqueItems` is set on the document).
    #[param(example = json!(["nodejs", "python", "java"]), min_items = 2, max_items = 10)]
    ids: Vec<FilterValue>,
    /// The fields to compare (rows); all fields by default.
    #[param(example = json!(["kind", "license", "first_released"]), max_items = 20)]
    fields: Option<Vec<FieldName>>,
}

/// One row of a comparison: a field and each technology's value for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonRow {
    /// The field compared.
    #[schema(example = "license")]
    pub field: String,
    /// Each technology's value, by id (`null` where a technology has none).
    #[schema(value_type = Object, example = json!({"nodejs": "MIT", "python": "PSF-2.0"}))]
    pub values: BTreeMap<String, serde_json::Value>,
    /// True when every technology has the same value.
    pub same: bool,
}

/// Technologies side by side.
#[derive(Debug, Serialize, ToSchema)]
pub struct Comparison {
    /// Version of the answer schema.
    #[schema(example = "1")]
    pub schema_version: &'static str,
    /// The technologies compared, canonical ids in request order (the columns).
    pub ids: Vec<String>,
    /// Their names, by id.
    pub names: BTreeMap<String, String>,
    /// One row per field, in the model's field order.
    pub rows: Vec<ComparisonRow>,
}

/// Compare technologies
///
/// Lines up 2 to 10 technologies field by field — one row per field with each
/// technology's value and whether they agree — so a frontend can render a
/// comparison table from one request. Release lifecycles and related entries are
/// rows too (`lifecycle`, `related`). Aliases are accepted; an unknown id, or an id
/// given twice, is a 400 problem naming it.
///
/// `curl -s 'http://localhost:8080/v1/compare?ids=nodejs,python,java&fields=kind,license,first_released'`
#[utoipa::path(
    tag = TAG,
    params(CompareParams),
    responses(
        (status = 200, description = "The comparison table.", body = Comparison),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 400, description = "Fewer than 2 or more than 10 ids, an unknown or repeated id, or another invalid parameter.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/compare")]
pub async fn compare(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: CompareParams = params::parse(&req)?;
    let fields = Fields::from_param(query.fields);
    let requested: Vec<&str> = query.ids.iter().map(|id| id.0.as_str()).collect();
    if !COMPARE_IDS.contains(&requested.len()) {
        return Err(ApiError::invalid_parameter(
            &req,
            "ids",
            format!(
                "`ids` must name 2 to 10 technologies, got {}",
                requested.len()
            ),
        ));
    }
    let snapshot = state.snapshots.current();
    let catalogue = &snapshot.catalogue;
    let mut positions = Vec::with_capacity(requested.len());
    for id in &requested {
        let technology = match catalogue.lookup(id) {
            Some(Lookup::Canonical(t) | Lookup::Alias(t)) => t,
            None => {
                return Err(ApiError::invalid_parameter(
                    &req,
                    "ids",
                    format!("`{id}` is not the id or alias of any technology"),
                ));
            }
        };
        let Some(position) = catalogue.position(&technology.id) else {
            return Err(ApiError::internal(
                &req,
                &format!("`{}` was found but has no position", technology.id),
            ));
        };
        if positions.contains(&position) {
            return Err(ApiError::invalid_parameter(
                &req,
                "ids",
                format!(
                    "`{id}` names `{}`, which is already compared",
                    technology.id
                ),
            ));
        }
        positions.push(position);
    }
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
        let today = Date::today();
        let expand = Expand {
            related: true,
            lifecycle: true,
        };
        let columns: Vec<(String, serde_json::Value)> = positions
            .iter()
            .map(|&p| {
                technology_json(catalogue, p, today, expand, &Fields::default())
                    .map(|v| (catalogue.technologies()[p].id.clone(), v))
            })
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::internal(&req, &e))?;
        let rows = super::filters::TECHNOLOGY_FIELDS
            .iter()
            .filter(|field| **field != "id" && fields.keeps(field))
            .map(|field| {
                let values: BTreeMap<String, serde_json::Value> = columns
                    .iter()
                    .map(|(id, value)| {
                        (
                            id.clone(),
                            value
                                .get(*field)
                                .cloned()
                                .unwrap_or(serde_json::Value::Null),
                        )
                    })
                    .collect();
                let mut distinct = values.values();
                let first = distinct.next();
                let same = distinct.all(|v| Some(v) == first);
                ComparisonRow {
                    field: (*field).to_owned(),
                    values,
                    same,
                }
            })
            .collect();
        Built::json(
            &req,
            &Comparison {
                schema_version: SCHEMA_VERSION,
                ids: columns.iter().map(|(id, _)| id.clone()).collect(),
                names: positions
                    .iter()
                    .map(|&p| {
                        (
                            catalogue.technologies()[p].id.clone(),
                            catalogue.technologies()[p].name.clone(),
                        )
                    })
                    .collect(),
                rows,
            },
        )
    })
}
