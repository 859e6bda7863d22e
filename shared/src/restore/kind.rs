//! The kinds of item a restore compares and creates, in the order they are created
//! (dependencies first; deletes go in reverse), each with the phase of the restore it belongs
//! to. A kind's name is the stored entry kind of the model (`RestApi`, `StageV2`, `VpcLink`...)
//! and stays that string in plans, reports and stored JSON; [`Kind::StageKey`] is restore's own
//! (an API key's stage, added after the APIs).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// When a restore creates items of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Estate the APIs name (VPC links, client certificates, API keys).
    BeforeApis,
    /// Part of one REST, HTTP or WebSocket API.
    Api,
    /// Estate that names the APIs (usage plans, domains, mappings, stage keys, the account).
    AfterApis,
}

/// The kinds of REST APIs, as a pattern.
macro_rules! rest_kinds {
    () => {
        Kind::RestApi
            | Kind::ServedDefinition
            | Kind::Model
            | Kind::RequestValidator
            | Kind::Authorizer
            | Kind::Resource
            | Kind::Method
            | Kind::GatewayResponse
            | Kind::DocumentationPart
            | Kind::DocumentationVersion
            | Kind::Stage
    };
}

/// The kinds of HTTP and WebSocket APIs, as a pattern.
macro_rules! v2_kinds {
    () => {
        Kind::Api
            | Kind::ModelV2
            | Kind::AuthorizerV2
            | Kind::Integration
            | Kind::Route
            | Kind::StageV2
    };
}

/// The kinds of the estate around the APIs, as a pattern.
macro_rules! estate_kinds {
    () => {
        Kind::VpcLink
            | Kind::VpcLinkV2
            | Kind::ClientCertificate
            | Kind::ApiKey
            | Kind::StageKey
            | Kind::UsagePlan
            | Kind::DomainName
            | Kind::Mapping
            | Kind::Account
    };
}
pub(crate) use {estate_kinds, rest_kinds, v2_kinds};

/// Which part of a restore handles a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Rest,
    V2,
    Estate,
}

macro_rules! kinds {
    ($($kind:ident => $phase:ident),* $(,)?) => {
        /// An item kind; the derived order is the creation order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($kind),*
        }

        impl Kind {
            /// Every kind, in creation order.
            pub const ALL: &'static [Kind] = &[$(Kind::$kind),*];

            /// The name, as stored entries and reports spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$kind => stringify!($kind)),*
                }
            }

            pub fn phase(self) -> Phase {
                match self {
                    $(Kind::$kind => Phase::$phase),*
                }
            }
        }
    };
}

kinds! {
    VpcLink => BeforeApis,
    VpcLinkV2 => BeforeApis,
    ClientCertificate => BeforeApis,
    ApiKey => BeforeApis,
    // REST APIs.
    RestApi => Api,
    // What a stage served, when it differs from the working copy: imported and deployed
    // before the working copy is restored.
    ServedDefinition => Api,
    Model => Api,
    RequestValidator => Api,
    Authorizer => Api,
    Resource => Api,
    Method => Api,
    GatewayResponse => Api,
    DocumentationPart => Api,
    DocumentationVersion => Api,
    Stage => Api,
    // HTTP and WebSocket APIs.
    Api => Api,
    ModelV2 => Api,
    AuthorizerV2 => Api,
    Integration => Api,
    Route => Api,
    StageV2 => Api,
    // The estate that names the APIs.
    StageKey => AfterApis,
    UsagePlan => AfterApis,
    DomainName => AfterApis,
    Mapping => AfterApis,
    Account => AfterApis,
}

impl Kind {
    pub fn family(self) -> Family {
        match self {
            rest_kinds!() => Family::Rest,
            v2_kinds!() => Family::V2,
            estate_kinds!() => Family::Estate,
        }
    }

    /// The kinds of a phase.
    pub fn of(phase: Phase) -> Vec<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .filter(|k| k.phase() == phase)
            .collect()
    }
}

/// What API Gateway calls an API object of a family (`Kind::RestApi`, `Kind::Api`): its id
/// field in the stored form, the pointer that ties a child object to it, and the calls that
/// create it, delete it and rewrite it whole from a definition document. Empty for the other
/// kinds.
pub const fn api_calls(kind: Kind) -> [&'static str; 5] {
    match kind {
        Kind::RestApi => [
            "id",
            "/restApiId",
            "CreateRestApi",
            "DeleteRestApi",
            "PutRestApi",
        ],
        Kind::Api => ["apiId", "/apiId", "CreateApi", "DeleteApi", "ReimportApi"],
        _ => [""; 5],
    }
}

/// A stored kind restore does not compare (deployments), or no kind at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown item kind {:?}: use one of {}",
            self.0,
            Kind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Kind, UnknownKind> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Kind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{estate, v1, v2};

    #[test]
    fn every_stored_kind_restore_compares_keeps_its_stored_name() {
        let stored: Vec<&str> = [v1::KINDS, v2::KINDS, estate::KINDS].concat();
        let deployments = [v1::KIND_DEPLOYMENT, v2::KIND_DEPLOYMENT];
        for s in &stored {
            match s.parse::<Kind>() {
                Ok(k) => assert_eq!(k.as_str(), *s),
                Err(e) => assert!(deployments.contains(s), "{e}"),
            }
        }
        // Every kind but restore's own is a stored kind.
        for k in Kind::ALL.iter().filter(|k| **k != Kind::StageKey) {
            assert!(stored.contains(&k.as_str()), "{k}");
        }
        assert!("Deployment".parse::<Kind>().is_err());
    }

    #[test]
    fn kinds_go_to_json_and_back_as_their_names() {
        for k in Kind::ALL {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, serde_json::Value::String(k.as_str().into()));
            assert_eq!(serde_json::from_value::<Kind>(json).unwrap(), *k);
        }
        assert!(serde_json::from_str::<Kind>("\"Nope\"").is_err());
    }

    #[test]
    fn the_estate_goes_around_the_apis_in_creation_order() {
        let before = Kind::of(Phase::BeforeApis);
        assert_eq!(
            before,
            [
                Kind::VpcLink,
                Kind::VpcLinkV2,
                Kind::ClientCertificate,
                Kind::ApiKey
            ]
        );
        let after = Kind::of(Phase::AfterApis);
        assert!(before.iter().all(|b| *b < Kind::RestApi && *b < Kind::Api));
        assert!(after.iter().all(|a| *a > Kind::Stage && *a > Kind::StageV2));
        assert!(Kind::Resource < Kind::Method && Kind::Integration < Kind::Route);
        // The estate's kinds are exactly those of the phases around the APIs.
        for k in Kind::ALL {
            assert_eq!(k.family() == Family::Estate, k.phase() != Phase::Api, "{k}");
        }
    }
}
