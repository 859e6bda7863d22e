//! REST APIs (API Gateway v1): pure comparison ([`compare`]), call counting ([`calls`]) and
//! the SDK-calling applier ([`apply`]).

pub mod apply;
pub mod calls;
pub mod compare;

pub use apply::Applier;
pub use calls::step_calls;
pub use compare::{compare, items, natural_key};
