//! HTTP and WebSocket APIs (API Gateway v2): pure comparison ([`compare`]), call counting
//! ([`calls`]) and the SDK-calling applier ([`apply`]).

pub mod apply;
pub mod calls;
pub mod compare;

pub use apply::ApplierV2;
pub use calls::step_calls;
pub use compare::{compare, functions_called, items, natural_keys};
