//! Paging and the decoding of query-string components. Query strings are parsed
//! into each operation's typed struct by [`super::params`].

/// Default page size of paginated answers.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// Largest page size a client may ask for.
pub const MAX_PER_PAGE: u32 = 100;
/// Highest page number accepted.
pub const MAX_PAGE: u32 = 100_000;

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space),
/// refusing bytes that are not UTF-8.
pub(crate) fn decode(component: &str) -> Option<String> {
    let spaced = component.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
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
