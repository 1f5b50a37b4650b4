use super::*;

#[test]
fn roles_follow_the_preference_order() {
    let has = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pref = has(&["ReadOnly", "Admin"]);
    assert_eq!(
        choose_roles(&has(&["Admin", "ReadOnly"]), &pref),
        ["ReadOnly"]
    );
    assert_eq!(choose_roles(&has(&["Admin"]), &pref), ["Admin"]);
    assert!(choose_roles(&has(&["Billing"]), &pref).is_empty());
    assert_eq!(
        choose_roles(&has(&["b", "a", "b"]), &[]),
        ["a", "b"],
        "every role, once"
    );
}

#[test]
fn globs_match_ids_and_names() {
    assert!(glob_match("prod-*", "prod-eu"));
    assert!(glob_match("*", ""));
    assert!(glob_match("1111?2222333", "111102222333"));
    assert!(!glob_match("prod-*", "staging"));
    assert!(glob_match("*-eu-*", "app-eu-1"));
    assert!(!glob_match("a*b", "acd"));
    assert!(glob_match("a*b*c", "aXbYbZc"));
    let acct = Account {
        id: "111122223333".into(),
        name: "prod-eu".into(),
    };
    assert!(wanted(&acct, &[]));
    assert!(wanted(&acct, &["111122223333".into()]));
    assert!(wanted(&acct, &["staging".into(), "prod-*".into()]));
    assert!(!wanted(&acct, &["dev-*".into()]));
}
