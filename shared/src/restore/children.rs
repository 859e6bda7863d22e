//! Syncing one child collection of an item with the point: a method's responses, an
//! integration's responses, a route's responses. The calls are the caller's; the order is
//! this module's: every wanted child updated (where its id is known) or created, in key
//! order, then the target's other children of that item deleted.

use std::collections::BTreeMap;
use std::future::Future;

use crate::Result;

/// Makes the children of `parent` those of `want` (child key -> child). `held` maps
/// (parent, child key) to the target's id and follows every call: `update(child, id)`,
/// `create(child)` (returning the new id; safe to send again after a lost reply, see
/// [`super::once`]), `delete(child key, id)`. A call that fails stops the sync, with `held`
/// still true of the target.
pub async fn sync<T, U, UF, C, CF, D, DF>(
    held: &mut BTreeMap<(String, String), String>,
    parent: &str,
    want: &BTreeMap<String, T>,
    mut update: U,
    mut create: C,
    mut delete: D,
) -> Result<()>
where
    T: Clone,
    U: FnMut(T, String) -> UF,
    UF: Future<Output = Result<()>>,
    C: FnMut(T) -> CF,
    CF: Future<Output = Result<String>>,
    D: FnMut(String, String) -> DF,
    DF: Future<Output = Result<()>>,
{
    for (key, child) in want {
        let k = (parent.to_string(), key.clone());
        match held.get(&k).cloned() {
            Some(id) => update(child.clone(), id).await?,
            None => {
                let id = create(child.clone()).await?;
                held.insert(k, id);
            }
        }
    }
    let extra: Vec<((String, String), String)> = held
        .iter()
        .filter(|((p, key), _)| p == parent && !want.contains_key(key))
        .map(|(k, id)| (k.clone(), id.clone()))
        .collect();
    for (k, id) in extra {
        delete(k.1.clone(), id).await?;
        held.remove(&k);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::Error;

    fn key(p: &str, k: &str) -> (String, String) {
        (p.to_string(), k.to_string())
    }

    #[tokio::test]
    async fn updates_what_is_known_creates_the_rest_then_deletes_the_others_of_that_item() {
        let mut held = BTreeMap::from([
            (key("GET /a", "200"), "r200".to_string()),
            (key("GET /a", "500"), "r500".to_string()),
            (key("GET /b", "404"), "other".to_string()),
        ]);
        let want = BTreeMap::from([("200".to_string(), 'x'), ("201".to_string(), 'y')]);
        let calls = Mutex::new(Vec::new());
        let log = |s: String| calls.lock().unwrap().push(s);
        sync(
            &mut held,
            "GET /a",
            &want,
            |c, id| {
                log(format!("update {c} {id}"));
                async { Ok(()) }
            },
            |c| {
                log(format!("create {c}"));
                async { Ok("new".to_string()) }
            },
            |k, id| {
                log(format!("delete {k} {id}"));
                async { Ok(()) }
            },
        )
        .await
        .unwrap();
        assert_eq!(
            *calls.lock().unwrap(),
            ["update x r200", "create y", "delete 500 r500"]
        );
        assert_eq!(
            held,
            BTreeMap::from([
                (key("GET /a", "200"), "r200".to_string()),
                (key("GET /a", "201"), "new".to_string()),
                (key("GET /b", "404"), "other".to_string()),
            ])
        );
    }

    #[tokio::test]
    async fn a_failed_call_stops_with_held_true_of_the_target() {
        let mut held = BTreeMap::from([(key("r", "gone"), "g".to_string())]);
        let want = BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
        let err = sync(
            &mut held,
            "r",
            &want,
            |_, _| async { Ok(()) },
            |c| async move {
                if c == 1 {
                    Ok("ida".to_string())
                } else {
                    Err(Error::Invalid("no".into()))
                }
            },
            |_, _| async { panic!("nothing is deleted after a failure") },
        )
        .await;
        assert!(err.is_err());
        assert_eq!(
            held,
            BTreeMap::from([
                (key("r", "a"), "ida".to_string()),
                (key("r", "gone"), "g".to_string()),
            ])
        );
    }
}
