use super::*;
use std::collections::BTreeMap;

/// Profiles as `name -> [(key, value)]`; sso-session sections under `sso-session NAME`.
struct Files(BTreeMap<String, Vec<(String, String)>>);

impl Files {
    fn parse(text: &str) -> Self {
        let mut map = BTreeMap::new();
        let mut current = None;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = Some(name.to_owned());
                map.entry(name.to_owned()).or_insert_with(Vec::new);
            } else if let (Some(c), Some((k, v))) = (&current, line.split_once('=')) {
                map.get_mut(c)
                    .unwrap()
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        Files(map)
    }
}

impl ProfileSource for Files {
    fn has_profile(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
    fn profile_value(&self, name: &str, key: &str) -> Option<String> {
        let props = self.0.get(name)?;
        props.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
    fn has_sso_session(&self, name: &str) -> bool {
        self.has_profile(&format!("sso-session {name}"))
    }
    fn sso_session_value(&self, name: &str, key: &str) -> Option<String> {
        self.profile_value(&format!("sso-session {name}"), key)
    }
}

const BASE: &str = "
        [ops]
        role_arn = arn:aws:iam::1:role/ReadOnly
        source_profile = base
        region = eu-west-1
        [base]
        aws_access_key_id = AKIA1
        aws_secret_access_key = s1
        [other]
        role_arn = arn:aws:iam::1:role/X
        source_profile = base
        [sso]
        sso_session = corp
        sso_account_id = 111
        sso_role_name = Admin
        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-west-1
    ";

fn fp(text: &str, profile: &str) -> String {
    let chain = walk(&Files::parse(text), profile);
    fingerprint(&chain, &[])
}

#[test]
fn every_setting_of_the_chain_changes_the_fingerprint() {
    let base = fp(BASE, "ops");
    for (from, to) in [
        ("role/ReadOnly", "role/Admin"),
        ("aws_access_key_id = AKIA1", "aws_access_key_id = AKIA2"),
        ("aws_secret_access_key = s1", "aws_secret_access_key = s2"),
        (
            "source_profile = base\n        region",
            "source_profile = other\n        region",
        ),
        ("region = eu-west-1", "region = eu-west-1\nexternal_id = x"),
        (
            "region = eu-west-1",
            "region = eu-west-1\nmfa_serial = arn:m",
        ),
        (
            "region = eu-west-1",
            "region = eu-west-1\nduration_seconds = 900",
        ),
        ("[base]", "[base]\ncredential_process = /bin/creds"),
    ] {
        let edited = BASE.replacen(from, to, 1);
        assert_ne!(edited, BASE, "{from} not found");
        assert_ne!(fp(&edited, "ops"), base, "{from} -> {to}");
    }
}

#[test]
fn edits_outside_the_chain_keep_the_fingerprint() {
    let base = fp(BASE, "ops");
    for (from, to) in [
        ("role/X", "role/Y"),
        ("region = eu-west-1", "region = us-east-1"),
        ("[other]", "[new]\naws_access_key_id = AKIA9\n[other]"),
        ("sso_account_id = 111", "sso_account_id = 222"),
    ] {
        let edited = BASE.replacen(from, to, 1);
        assert_ne!(edited, BASE);
        assert_eq!(fp(&edited, "ops"), base, "{from} -> {to}");
    }
}

#[test]
fn a_static_profile_turned_into_a_role_changes_the_fingerprint() {
    let before = fp(BASE, "base");
    let after = fp(
        &BASE.replacen(
            "[base]",
            "[base]\nrole_arn = arn:r\nsource_profile = other",
            1,
        ),
        "base",
    );
    assert_ne!(before, after);
}

#[test]
fn sso_settings_and_logins_are_part_of_the_identity() {
    let files = Files::parse(BASE);
    let chain = walk(&files, "sso");
    assert_eq!(
        chain.sso_logins.iter().collect::<Vec<_>>(),
        [&SsoLogin::Session("corp".into())]
    );
    let base = fp(BASE, "sso");
    assert_ne!(fp(&BASE.replace("= 111", "= 222"), "sso"), base);
    assert_ne!(
        fp(&BASE.replace("corp.awsapps", "evil.awsapps"), "sso"),
        base
    );
    let logged_in = sso_login_state(Some(br#"{"accessToken":"abc","expiresAt":"x"}"#));
    let relogged = sso_login_state(Some(br#"{"accessToken":"def"}"#));
    let out = sso_login_state(None);
    assert_ne!(logged_in, out);
    assert_ne!(logged_in, relogged);
    assert!(!logged_in.contains("abc"));
    assert_ne!(
        fingerprint(&chain, std::slice::from_ref(&logged_in)),
        fingerprint(&chain, &[out])
    );
    // The AWS CLI names the token file after the SHA-1 of the session name.
    assert_eq!(
        SsoLogin::Session("corp".into()).cache_file_name(),
        "ee0bfd2552fbd840c02cc48b6e823320543c450f.json"
    );
}

#[test]
fn an_aws_login_session_is_part_of_the_identity() {
    let text = format!(
        "{BASE}\n[console]\nlogin_session = arn:aws:iam::1:user/alice\n\
         [admin]\nrole_arn = arn:aws:iam::1:role/Admin\nsource_profile = console\n"
    );
    let files = Files::parse(&text);
    // Followed through source_profile: the profile that names the session, and its ARN.
    let chain = walk(&files, "admin");
    assert_eq!(
        chain.sign_ins.iter().collect::<Vec<_>>(),
        [&SignIn {
            profile: "console".into(),
            session: "arn:aws:iam::1:user/alice".into(),
        }]
    );
    assert!(walk(&files, "ops").sign_ins.is_empty());
    let base = fp(&text, "admin");
    assert_ne!(fp(&text.replace("user/alice", "user/bob"), "admin"), base);
    // Signed out (the file gone) is another identity state than signed in; renewals are not.
    let signed_in = crate::signin::SessionFile::Session {
        account_id: "1".into(),
        expires_at: chrono::Utc::now(),
    };
    assert_ne!(
        fingerprint(&chain, &[signed_in.state()]),
        fingerprint(&chain, &[crate::signin::SessionFile::Absent.state()])
    );
}

#[test]
fn missing_profiles_and_cycles_terminate() {
    let files = Files::parse(
        "[a]\nrole_arn = r\nsource_profile = b\n[b]\nrole_arn = r\nsource_profile = a\n",
    );
    let chain = walk(&files, "a");
    assert!(chain.description.contains(&"cycle".to_owned()));
    let chain = walk(&files, "nope");
    assert!(chain.description.contains(&"missing".to_owned()));
}

#[test]
fn secrets_never_appear_in_the_description() {
    let chain = walk(&Files::parse(BASE), "ops");
    assert!(
        !chain.description.iter().any(|l| l.contains("s1")),
        "{chain:?}"
    );
}

#[test]
fn stamps_compare_every_file() {
    let stat = Stat {
        size: 1,
        ino: 2,
        dev: 3,
        mtime: 4,
        ctime: 5,
    };
    let p = Provenance {
        files: vec![
            FileStamp {
                path: "/a".into(),
                stat: Some(stat),
            },
            FileStamp {
                path: "/b".into(),
                stat: None,
            },
        ],
        fingerprint: "f".into(),
    };
    assert!(p.stamps_match(|path| (path == Path::new("/a")).then_some(stat)));
    assert!(!p.stamps_match(|_| Some(stat)));
    assert!(
        !p.stamps_match(|path| { (path == Path::new("/a")).then_some(Stat { mtime: 9, ..stat }) })
    );
    assert!(Provenance::environment().stamps_match(|_| None));
}
