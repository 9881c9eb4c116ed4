//! Query strings parsed strictly at the edge: unknown parameters, repeated
//! single-valued parameters and out-of-range values become 400 problems naming the
//! parameter, so a typo never silently changes an answer.

use actix_web::HttpRequest;

use super::problem::ApiError;

/// Default page size of paginated answers.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// Largest page size a client may ask for.
pub const MAX_PER_PAGE: u32 = 100;
/// Highest page number accepted.
pub const MAX_PAGE: u32 = 100_000;

/// The decoded `name=value` pairs of a request's query string.
pub struct QueryPairs<'r> {
    req: &'r HttpRequest,
    pairs: Vec<(String, String)>,
}

impl<'r> QueryPairs<'r> {
    /// Decodes the query string and rejects any parameter not in one of the
    /// `allowed` groups (an operation's own parameters, the shared filters, ...).
    pub fn parse(req: &'r HttpRequest, allowed: &[&[&str]]) -> Result<QueryPairs<'r>, ApiError> {
        let allowed: Vec<&str> = allowed
            .iter()
            .flat_map(|group| group.iter().copied())
            .collect();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        if let Some((name, _)) = pairs
            .iter()
            .find(|(name, _)| !allowed.contains(&name.as_str()))
        {
            return Err(ApiError::unknown_parameter(req, name, &allowed));
        }
        Ok(QueryPairs { req, pairs })
    }

    /// The request the pairs came from.
    pub fn request(&self) -> &'r HttpRequest {
        self.req
    }

    /// Every value given for `name`, in order; comma-separated values are split.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, value)| value.split(','))
            .collect()
    }

    /// The one value of a single-valued parameter, if given.
    pub fn single(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::invalid_parameter(
                self.req,
                name,
                format!("`{name}` may be given once only"),
            ));
        }
        Ok(first)
    }

    /// A bounded integer parameter, or its default when absent.
    pub fn integer(&self, name: &str, min: u32, max: u32, default: u32) -> Result<u32, ApiError> {
        match self.single(name)? {
            None => Ok(default),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|value| (min..=max).contains(value))
                .ok_or_else(|| {
                    ApiError::invalid_parameter(
                        self.req,
                        name,
                        format!("`{name}` must be an integer from {min} to {max}, got `{text}`"),
                    )
                }),
        }
    }

    /// Page number and size, validated.
    pub fn pagination(&self) -> Result<Pagination, ApiError> {
        Ok(Pagination {
            page: self.integer("page", 1, MAX_PAGE, 1)?,
            per_page: self.integer("per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)?,
        })
    }

    /// Values of a repeatable parameter, each checked by `parse`; `allowed` lists the
    /// accepted values for the error message when the set is closed.
    pub fn list<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        allowed: impl Fn() -> Vec<String>,
    ) -> Result<Vec<T>, ApiError> {
        self.all(name)
            .into_iter()
            .map(|value| {
                parse(value).ok_or_else(|| ApiError::not_one_of(self.req, name, value, allowed()))
            })
            .collect()
    }
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// 1-based page number.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

impl Pagination {
    /// The slice of `total` items this page covers.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page as usize - 1)
            .saturating_mul(self.per_page as usize)
            .min(total);
        let end = start.saturating_add(self.per_page as usize).min(total);
        start..end
    }

    /// Number of the last page (1 when there are no items).
    pub fn last_page(&self, total: usize) -> u32 {
        (total.div_ceil(self.per_page as usize)).max(1) as u32
    }
}
