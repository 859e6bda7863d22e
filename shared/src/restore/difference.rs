//! What differs between what a recovery point says and what a target holds: one step of a
//! plan, by kind and natural key, and the comparison of any family's items.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::kind::Kind;

/// Tags this tool puts on what it creates; not part of the comparison.
pub const TAG_PREFIX: &str = "apigw-dr:";
/// The tag naming the API a restored API was recovered from: `ACCOUNT/REGION/APIID`.
pub const TAG_SOURCE: &str = "apigw-dr:source";
/// The tag a drill puts on everything it creates (its job id): its teardown deletes exactly
/// what carries it (crate::drill). Kept on create like any tag of the point.
pub const TAG_DRILL: &str = "apigw-dr:drill";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "change")]
pub enum Change {
    Create,
    /// The top-level fields that differ.
    Update {
        fields: Vec<String>,
    },
    Delete,
    /// Two or more items of the target share the natural key (a create sent twice, say):
    /// their ids. Reported, never deleted: the operator decides which one stays.
    Duplicate {
        ids: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    pub kind: Kind,
    /// The natural key: `/pets/{id} GET`, a name, a stage name...
    pub key: String,
    #[serde(flatten)]
    pub change: Change,
    /// The comparable forms (what the point says; what is there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Value>,
}

impl Change {
    /// The call a change of this sort needs, of the three given (None: none).
    pub fn op(
        &self,
        create: Option<&'static str>,
        update: Option<&'static str>,
        delete: Option<&'static str>,
    ) -> Option<&'static str> {
        match self {
            Change::Create => create,
            Change::Update { .. } => update,
            Change::Delete => delete,
            // Two copies in the target: reported, nothing called.
            Change::Duplicate { .. } => None,
        }
    }

    /// [`Change::op`] for a kind with a call of each sort.
    pub fn verb(
        &self,
        create: &'static str,
        update: &'static str,
        delete: &'static str,
    ) -> Option<&'static str> {
        self.op(Some(create), Some(update), Some(delete))
    }
}

/// Adds `n` calls of `op` (if any) to a count of calls by operation.
pub fn add_calls(out: &mut BTreeMap<&'static str, u64>, op: Option<&'static str>, n: u64) {
    if let Some(op) = op {
        *out.entry(op).or_insert(0) += n;
    }
}

impl Difference {
    /// A step without the comparable forms.
    pub fn new(kind: Kind, key: impl Into<String>, change: Change) -> Difference {
        Difference {
            kind,
            key: key.into(),
            change,
            desired: None,
            current: None,
        }
    }

    /// Whether this is two or more target items with one natural key.
    pub fn is_duplicate(&self) -> bool {
        matches!(self.change, Change::Duplicate { .. })
    }

    /// For a duplicate: one line saying what is there and what to do (a restore never deletes
    /// what it did not make).
    pub fn duplicate_line(&self) -> Option<String> {
        let Change::Duplicate { ids } = &self.change else {
            return None;
        };
        Some(format!(
            "{} {}: {} copies in the target ({}): delete all but one in the target, then run the restore again",
            self.kind,
            self.key,
            ids.len(),
            ids.join(", ")
        ))
    }
}

/// One item to compare: kind, natural key, comparable value, and its physical id in the API
/// (empty for items without one), which only names duplicates.
pub type Item = (Kind, String, Value, String);

/// Resource depth, so parents are created before children and deleted after them.
fn depth(key: &str) -> usize {
    key.split(' ').next().unwrap_or("").matches('/').count()
}

/// The comparison itself, over (kind, natural key, comparable value) items of any API: what
/// to create, update and delete, in the creation order of [`Kind`] (deletes in reverse). Where there
/// is no current API at all (`None`), items for which `comes_with_api` holds are not created.
/// Two current items with one natural key are a [`Change::Duplicate`], listed last: the first
/// of them is the one compared.
pub fn compare_items(
    want: Vec<Item>,
    current: Option<Vec<Item>>,
    comes_with_api: &dyn Fn(Kind, &str) -> bool,
) -> Vec<Difference> {
    let fresh = current.is_none();
    let mut have: BTreeMap<(Kind, String), Value> = BTreeMap::new();
    let mut copies: BTreeMap<(Kind, String), Vec<String>> = BTreeMap::new();
    for (kind, key, value, id) in current.unwrap_or_default() {
        copies.entry((kind, key.clone())).or_default().push(id);
        have.entry((kind, key)).or_insert(value);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (kind, key, value, _) in want {
        seen.insert((kind, key.clone()));
        if fresh && comes_with_api(kind, &key) {
            continue;
        }
        match have.get(&(kind, key.clone())) {
            None => out.push(Difference {
                kind,
                key,
                change: Change::Create,
                desired: Some(value),
                current: None,
            }),
            Some(cur) if *cur != value => out.push(Difference {
                kind,
                key,
                change: Change::Update {
                    fields: differing_fields(&value, cur),
                },
                desired: Some(value),
                current: Some(cur.clone()),
            }),
            Some(_) => {}
        }
    }
    let mut deletes: Vec<Difference> = have
        .into_iter()
        .filter(|((kind, key), _)| !seen.contains(&(*kind, key.clone())))
        .map(|((kind, key), v)| Difference {
            kind,
            key,
            change: Change::Delete,
            desired: None,
            current: Some(v),
        })
        .collect();
    out.sort_by_key(|d| (d.kind, depth(&d.key)));
    deletes.sort_by_key(|d| (std::cmp::Reverse(d.kind), std::cmp::Reverse(depth(&d.key))));
    out.extend(deletes);
    out.extend(
        copies
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|((kind, key), ids)| Difference::new(kind, key, Change::Duplicate { ids })),
    );
    out
}

/// Removes `fields` from a comparable object, and this tool's own tags.
pub fn strip(v: &mut Value, fields: &[&str]) {
    if let Value::Object(m) = v {
        for k in fields {
            m.remove(*k);
        }
        if let Some(Value::Object(tags)) = m.get_mut("tags") {
            tags.retain(|k, _| !k.starts_with(TAG_PREFIX));
            if tags.is_empty() {
                m.remove("tags");
            }
        }
    }
}

fn differing_fields(a: &Value, b: &Value) -> Vec<String> {
    let empty = Map::new();
    let (a, b) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
