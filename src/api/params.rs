//! Query strings parsed into each operation's typed query struct — the same struct
//! whose `IntoParams` derive documents the parameters in the OpenAPI document, so a
//! parameter cannot be documented one way and parsed another.
//!
//! [`parse`] decodes the query string once and hands it to the struct's own
//! `Deserialize` through [`QueryDeserializer`], which knows the parameters' rules:
//!
//! - a name the struct does not have is a 400 naming it and listing the struct's
//!   fields (serde hands the deserializer the field names: no separate list);
//! - a field given twice that takes one value is a 400 ("may be given once only");
//! - a list field (`Vec<T>`) takes repeated keys and comma-separated values, at most
//!   [`MAX_VALUES`] occurrences, none blank;
//! - an enum value that is not a variant is a 400 listing the variants as `allowed`;
//! - any other value error (a type's own check: ranges, dates, licence ids) is a 400
//!   naming the parameter, with the type's words.

use std::fmt;

use actix_web::HttpRequest;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::problem::ApiError;
use super::query::decode;

/// Most occurrences of one repeatable parameter.
pub const MAX_VALUES: usize = 20;

/// Why a query string does not fit its struct.
#[derive(Debug)]
pub enum QueryError {
    /// A parameter the operation does not have (`allowed`: the ones it has).
    Unknown {
        parameter: String,
        allowed: Vec<&'static str>,
    },
    /// A parameter whose value is not accepted.
    Invalid {
        parameter: String,
        detail: String,
        allowed: Option<Vec<String>>,
    },
    /// A message from a value's own check, before the parameter is known.
    Message(String),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Unknown { parameter, .. } => write!(f, "unknown parameter `{parameter}`"),
            QueryError::Invalid { detail, .. } => f.write_str(detail),
            QueryError::Message(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for QueryError {}

impl de::Error for QueryError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        QueryError::Message(message.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        QueryError::Invalid {
            parameter: field.to_owned(),
            detail: format!("`{field}` is required"),
            allowed: None,
        }
    }
}

impl QueryError {
    /// The error, said of `parameter` when it did not say which.
    fn of(self, parameter: &str) -> QueryError {
        match self {
            QueryError::Message(message) => QueryError::Invalid {
                parameter: parameter.to_owned(),
                detail: format!("`{parameter}` {message}"),
                allowed: None,
            },
            other => other,
        }
    }

    fn into_problem(self, req: &HttpRequest) -> ApiError {
        match self {
            QueryError::Unknown { parameter, allowed } => {
                ApiError::unknown_parameter(req, &parameter, &allowed)
            }
            QueryError::Invalid {
                parameter,
                detail,
                allowed: Some(allowed),
            } => ApiError::invalid_parameter_allowing(req, &parameter, detail, allowed),
            QueryError::Invalid {
                parameter, detail, ..
            } => ApiError::invalid_parameter(req, &parameter, detail),
            QueryError::Message(message) => ApiError::invalid_parameter(req, "query", message),
        }
    }
}

/// Parses the request's query string into `T`: the only way an operation reads its
/// parameters. Problems name the parameter at fault.
pub fn parse<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let pairs = decode_pairs(req)?;
    T::deserialize(QueryDeserializer { pairs: &pairs }).map_err(|e| e.into_problem(req))
}

/// The query string's `name=value` pairs, decoded (`+` is a space); a name or
/// value that is not UTF-8 is a 400 naming it.
fn decode_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for pair in req.query_string().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name).ok_or_else(|| {
            ApiError::invalid_parameter(
                req,
                "query",
                "a parameter name is not valid percent-encoded UTF-8".to_owned(),
            )
        })?;
        let value = decode(value).ok_or_else(|| {
            ApiError::invalid_parameter(
                req,
                &name,
                format!("`{name}` is not valid percent-encoded UTF-8"),
            )
        })?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// A whole query string, deserialized as a struct.
pub struct QueryDeserializer<'q> {
    pairs: &'q [(String, String)],
}

impl<'de> de::Deserializer<'de> for QueryDeserializer<'_> {
    type Error = QueryError;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        if let Some((name, _)) = self
            .pairs
            .iter()
            .find(|(name, _)| !fields.contains(&name.as_str()))
        {
            return Err(QueryError::Unknown {
                parameter: name.clone(),
                allowed: fields.to_vec(),
            });
        }
        let present: Vec<(&'static str, Vec<&str>)> = fields
            .iter()
            .filter_map(|&field| {
                let values: Vec<&str> = self
                    .pairs
                    .iter()
                    .filter(|(name, _)| name == field)
                    .map(|(_, value)| value.as_str())
                    .collect();
                (!values.is_empty()).then_some((field, values))
            })
            .collect();
        visitor.visit_map(Parameters {
            present: present.into_iter(),
            current: None,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, QueryError> {
        Err(QueryError::Message(
            "a query string is read into a struct".to_owned(),
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The parameters present, field by field.
struct Parameters<'q> {
    present: std::vec::IntoIter<(&'static str, Vec<&'q str>)>,
    current: Option<(&'static str, Vec<&'q str>)>,
}

impl<'de> de::MapAccess<'de> for Parameters<'_> {
    type Error = QueryError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, QueryError> {
        self.current = self.present.next();
        match &self.current {
            None => Ok(None),
            Some((name, _)) => seed
                .deserialize(IntoDeserializer::<QueryError>::into_deserializer(*name))
                .map(Some)
                .map_err(|e: QueryError| e.of(name)),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, QueryError> {
        let Some((name, values)) = self.current.take() else {
            return Err(QueryError::Message(
                "a value was asked before its name".to_owned(),
            ));
        };
        seed.deserialize(Parameter { name, values })
            .map_err(|e| e.of(name))
    }
}

/// Every value given for one parameter.
struct Parameter<'q> {
    name: &'static str,
    values: Vec<&'q str>,
}

impl<'q> Parameter<'q> {
    /// The one value of a single-valued parameter.
    fn single(&self) -> Result<Value<'q>, QueryError> {
        match self.values.as_slice() {
            [value] => Ok(Value {
                name: self.name,
                text: value,
            }),
            _ => Err(QueryError::Invalid {
                parameter: self.name.to_owned(),
                detail: format!("`{}` may be given once only", self.name),
                allowed: None,
            }),
        }
    }

    /// The values of a list parameter: repeated keys and comma-separated values,
    /// trimmed of spaces and tabs, none blank.
    fn parts(&self) -> Result<Vec<&'q str>, QueryError> {
        let name = self.name;
        if self.values.len() > MAX_VALUES {
            return Err(QueryError::Invalid {
                parameter: name.to_owned(),
                detail: format!(
                    "`{name}` may be given at most {MAX_VALUES} times, got {}",
                    self.values.len()
                ),
                allowed: None,
            });
        }
        // Spaces and tabs only: what a blank part is must agree with the documented
        // pattern, whatever a regex engine thinks of other Unicode white space.
        let parts: Vec<&str> = self
            .values
            .iter()
            .flat_map(|value| value.split(','))
            .map(|part| part.trim_matches([' ', '\t']))
            .collect();
        if parts.iter().any(|part| part.is_empty()) {
            return Err(QueryError::Invalid {
                parameter: name.to_owned(),
                detail: format!(
                    "`{name}` values must not be blank (nor have blank comma-separated parts)"
                ),
                allowed: None,
            });
        }
        Ok(parts)
    }
}

impl<'de> de::Deserializer<'de> for Parameter<'_> {
    type Error = QueryError;

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        let name = self.name;
        let parts = self.parts()?;
        visitor.visit_seq(de::value::SeqDeserializer::new(
            parts.into_iter().map(|text| Value { name, text }),
        ))
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        self.single()?.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        self.single()?.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        self.single()?.deserialize_u16(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        self.single()?.deserialize_u32(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

/// One value of a parameter.
struct Value<'q> {
    name: &'static str,
    text: &'q str,
}

impl<'de> IntoDeserializer<'de, QueryError> for Value<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl Value<'_> {
    fn integer<T: std::str::FromStr>(&self) -> Result<T, QueryError> {
        self.text.parse::<T>().map_err(|_| QueryError::Invalid {
            parameter: self.name.to_owned(),
            detail: format!("`{}` must be an integer, got `{}`", self.name, self.text),
            allowed: None,
        })
    }
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = QueryError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        visitor.visit_str(self.text)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        visitor.visit_u16(self.integer()?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        visitor.visit_u32(self.integer()?)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        if variants.contains(&self.text) {
            visitor.visit_enum(self.text.into_deserializer())
        } else {
            Err(QueryError::Invalid {
                parameter: self.name.to_owned(),
                detail: format!(
                    "`{}` must be one of {}, got `{}`",
                    self.name,
                    variants.join(", "),
                    self.text
                ),
                allowed: Some(variants.iter().map(|v| (*v).to_owned()).collect()),
            })
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// An integer parameter from `MIN` to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const MIN: u32, const MAX: u32>(pub u32);

impl<'de, const MIN: u32, const MAX: u32> de::Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse::<u32>()
            .ok()
            .filter(|value| (MIN..=MAX).contains(value))
            .map(Bounded)
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "must be an integer from {MIN} to {MAX}, got `{text}`"
                ))
            })
    }
}

/// A page number, from 1.
pub type Page = Bounded<1, { super::query::MAX_PAGE }>;
/// A page size.
pub type PerPage = Bounded<1, { super::query::MAX_PER_PAGE }>;
/// A year filter.
pub type Year = Bounded<1900, 2100>;

/// The page a query asks for (defaults: page 1 of 20).
pub fn pagination(page: Option<Page>, per_page: Option<PerPage>) -> super::query::Pagination {
    super::query::Pagination {
        page: page.map_or(1, |p| p.0),
        per_page: per_page.map_or(super::query::DEFAULT_PER_PAGE, |p| p.0),
    }
}

/// The query of an operation that takes no parameters: any parameter is a 400.
#[derive(Debug, serde::Deserialize)]
pub struct NoParams {}
