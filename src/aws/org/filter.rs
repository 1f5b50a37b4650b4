//! Which accounts and roles a discovery request wants: account id or name globs, and a role
//! preference.

use super::Account;

/// The roles of an account to use: with no preference every role, else the first preferred
/// role the account has.
pub fn choose_roles(available: &[String], preference: &[String]) -> Vec<String> {
    if preference.is_empty() {
        let mut all = available.to_vec();
        all.sort();
        all.dedup();
        return all;
    }
    preference
        .iter()
        .find(|p| available.contains(p))
        .map(|p| vec![p.clone()])
        .unwrap_or_default()
}

/// Whether `account` is wanted: no globs, or one matching its id or its name.
pub fn wanted(account: &Account, globs: &[String]) -> bool {
    globs.is_empty()
        || globs
            .iter()
            .any(|g| glob_match(g, &account.id) || glob_match(g, &account.name))
}

/// `*` (any run) and `?` (any one character) matching, case-sensitive like account names.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
