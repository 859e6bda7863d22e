//! Canonical JSON and content addresses.
//!
//! An object's address is the SHA-256 of its canonical JSON: object keys sorted by code point,
//! no insignificant white space, numbers as serde_json prints them. The key order is enforced
//! here, not left to serde_json's map type, so that no feature of a dependency can change it.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The canonical bytes of any serializable value.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let v = serde_json::to_value(value).map_err(|e| Error::decode("encoding an object", e))?;
    let mut out = Vec::with_capacity(256);
    write_value(&v, &mut out);
    Ok(out)
}

fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Serializing a plain string cannot fail.
                out.extend_from_slice(serde_json::to_string(k).unwrap_or_default().as_bytes());
                out.push(b':');
                write_value(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// Lower-case hex SHA-256 of the bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// True when `s` has the form of a content address (64 lower-case hex digits).
pub fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth_and_space_is_dropped() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": null, "x": "é"}], "c": true}});
        let bytes = to_bytes(&v).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"a":{"c":true,"z":[3,{"x":"é","y":null}]},"b":1}"#
        );
    }

    #[test]
    fn same_content_same_hash_whatever_the_order() {
        let a = to_bytes(&json!({"x": 1, "y": [1.5, "q"]})).unwrap();
        let b: Value = serde_json::from_str(r#"{ "y": [1.5, "q"], "x": 1 }"#).unwrap();
        assert_eq!(sha256_hex(&a), sha256_hex(&to_bytes(&b).unwrap()));
        assert!(is_hash(&sha256_hex(&a)));
        assert_ne!(
            sha256_hex(&a),
            sha256_hex(&to_bytes(&json!({"x": 2})).unwrap())
        );
    }

    #[test]
    fn strings_are_escaped() {
        let bytes = to_bytes(&json!({"k\"": "line\nbreak"})).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"k\"":"line\nbreak"}"#
        );
    }
}
