use std::path::Path;

use clap::{CommandFactory, FromArgMatches, ValueEnum};

use super::*;
use crate::cli::{Cli, Command, ExecStyleArg, SyncArgs};
use crate::kubeconfig::ExecStyle;

const PATH: &str = "/home/u/.config/eks-kc/config.yaml";

fn parse(text: &str) -> Result<ConfigFile, String> {
    ConfigFile::parse(Path::new(PATH), Some(text.to_owned())).map_err(|e| e.to_string())
}

pub(crate) fn settings(text: &str) -> SyncSettings {
    parse(text).unwrap().sync
}

/// The error for `text`, without the path (asserted once, in `errors_name_file_line_and_key`).
fn error(text: &str) -> String {
    let e = parse(text).unwrap_err();
    e.strip_prefix(&format!("{PATH}:")).unwrap().to_owned()
}

/// `eks-kc sync EXTRA` as the binary parses it.
pub(crate) fn args(extra: &[&str]) -> SyncArgs {
    let matches = Cli::command().get_matches_from(["eks-kc", "sync"].iter().chain(extra));
    let mut cli = Cli::from_arg_matches(&matches).unwrap();
    match (&mut cli.command, matches.subcommand()) {
        (Command::Sync(a), Some((_, m))) => a.note_sources(m),
        _ => unreachable!(),
    }
    match cli.command {
        Command::Sync(a) => a,
        _ => unreachable!(),
    }
}

pub(crate) const FULL: &str = "\
# saved by hand
sync:
  profiles: [dev, prod]
  regions:
    - eu-west-1
    - us-east-1
  sso:
    - session: corp
      roles: [ReadOnly, Admin]
      accounts: ['prod-*', 012345678901]
    - start-url: https://legacy.awsapps.com/start
      sso-region: us-east-1
  name-template: '{cluster}@{profile}'
  prune: yes
  exec-style: per-context
  concurrency: 8
";

#[test]
fn every_key_is_read_with_its_line() {
    let f = parse(FULL).unwrap();
    assert_eq!(
        f.sync,
        SyncSettings {
            profiles: vec!["dev".into(), "prod".into()],
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            sso: vec![
                SsoSpec {
                    session: Some("corp".into()),
                    roles: vec!["ReadOnly".into(), "Admin".into()],
                    // A plain 012345678901 is an octal number to YAML 1.1: here it is the
                    // account id as written.
                    accounts: vec!["prod-*".into(), "012345678901".into()],
                    ..SsoSpec::default()
                },
                SsoSpec {
                    start_url: Some("https://legacy.awsapps.com/start".into()),
                    region: Some("us-east-1".into()),
                    ..SsoSpec::default()
                },
            ],
            name_template: Some("{cluster}@{profile}".into()),
            prune: true,
            exec_style: Some(ExecStyle::PerContext),
            concurrency: Some(8),
            ..SyncSettings::default()
        }
    );
    assert_eq!(f.lines["profiles"], 3);
    assert_eq!(f.lines["sso"], 7);
    assert_eq!(f.lines["concurrency"], 16);
    let other = settings("sync:\n  all-profiles: true\n  all-regions: on\n  role-arn: null\n");
    assert!(other.all_profiles && other.all_regions && other.role_arn.is_none());
    // A single name is a list of one; an empty value is no value.
    let one = settings("sync:\n  profiles: dev\n  regions:\n  prune:\n");
    assert_eq!(one.profiles, ["dev"]);
    assert!(one.regions.is_empty() && !one.prune);
}

#[test]
fn no_file_an_empty_one_or_an_empty_section_is_the_defaults() {
    let missing = ConfigFile::parse(Path::new(PATH), None).unwrap();
    assert!(!missing.exists);
    assert_eq!(missing.sync, SyncSettings::default());
    for text in [
        "",
        "\n",
        "# only a comment\n",
        "---\n",
        "sync:\n",
        "sync: {}\n",
        "~\n",
    ] {
        assert_eq!(settings(text), SyncSettings::default(), "{text:?}");
    }
}

#[test]
fn errors_name_file_line_and_key() {
    assert_eq!(
        parse("sync:\n  profiles: [dev]\n  regoins: [eu-west-1]\n").unwrap_err(),
        format!("{PATH}:3: unknown key 'sync.regoins'; did you mean 'regions'?")
    );
}

#[test]
fn each_kind_of_mistake_is_named() {
    let cases: &[(&str, &str)] = &[
        (
            "sync:\n  all_profiles: true\n",
            "2: unknown key 'sync.all_profiles'; did you mean 'all-profiles'?",
        ),
        (
            "sync:\n  colour: red\n",
            "2: unknown key 'sync.colour' (known: profiles, all-profiles, regions, all-regions, role-arn, role-session-name, sso, name-template, prune, exec-style, concurrency)",
        ),
        (
            "regions: [eu-west-1]\n",
            "1: unknown key 'regions'; did you mean 'sync.regions'? (sync settings go under `sync:`)",
        ),
        (
            "snyc:\n  prune: true\n",
            "1: unknown key 'snyc'; did you mean 'sync'?",
        ),
        (
            "sync:\n  concurrency: 0\n",
            "2: 'sync.concurrency': expected a number from 1 to 1024, got '0'",
        ),
        (
            "sync:\n  concurrency: 1025\n",
            "2: 'sync.concurrency': expected a number from 1 to 1024, got '1025'",
        ),
        (
            "sync:\n  concurrency: '8'\n",
            "2: 'sync.concurrency': expected a number from 1 to 1024, got '8'",
        ),
        (
            "sync:\n  exec-style: per_context\n",
            "2: 'sync.exec-style': expected shared or per-context, got 'per_context'; did you mean 'per-context'?",
        ),
        (
            "sync:\n  exec-style: kubectl\n",
            "2: 'sync.exec-style': expected shared or per-context, got 'kubectl'",
        ),
        (
            "sync:\n  regions:\n    - eu-west-1\n    - eu-west1\n",
            "4: 'sync.regions': 'eu-west1' is not an AWS region name; did you mean eu-west-1?",
        ),
        (
            "sync:\n  name-template: '{region}'\n",
            "2: 'sync.name-template': the name template '{region}' must contain {cluster}",
        ),
        (
            "sync:\n  profiles: [a]\n  all-profiles: true\n",
            "3: 'sync.all-profiles' and 'sync.profiles' (line 2) exclude each other; keep one",
        ),
        (
            "sync:\n  all-regions: true\n  regions: [eu-west-1]\n",
            "3: 'sync.regions' and 'sync.all-regions' (line 2) exclude each other; keep one",
        ),
        (
            "sync:\n  role-arn: arn:aws:iam::1:role/r\n  sso: [{session: c}]\n",
            "3: 'sync.sso' and 'sync.role-arn' (line 2) exclude each other; keep one",
        ),
        (
            "sync:\n  role-arn: discovery\n",
            "2: 'sync.role-arn': 'discovery' is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
        ),
        (
            "sync:\n  prune: 'yes'\n",
            "2: 'sync.prune': expected true or false, got 'yes'",
        ),
        (
            "sync:\n  profiles: {dev: 1}\n",
            "2: 'sync.profiles': expected a list of names, got a mapping",
        ),
        (
            "sync:\n  profiles: [dev, [x]]\n",
            "2: 'sync.profiles[1]': expected a name, got a list",
        ),
        (
            "sync:\n  prune: true\n  prune: false\n",
            "3: duplicate key 'sync.prune' (also on line 2); keep one",
        ),
        (
            // Issue 32: two sections of one name (the alias reader took the first, `config
            // show` refused the file): the parser every reader uses refuses it.
            "aliases:\n  s: staging\nsync:\n  prune: true\naliases:\n  s: prod\n",
            "5: duplicate key 'aliases' (also on line 1); keep one",
        ),
        (
            "sync:\n  sso:\n    - session: a\n      session: b\n",
            "4: duplicate key 'sync.sso[0].session' (also on line 3); keep one",
        ),
        (
            "sync: [dev]\n",
            "1: 'sync': expected a mapping of keys, got a list",
        ),
        (
            "- sync\n",
            "1: the config file must be a mapping of sections (`sync:` and its keys)",
        ),
        (
            "sync:\n  sso:\n    - roles: [A]\n",
            "3: 'sync.sso[0]': needs a session (an [sso-session NAME] of the AWS config) or a start-url with its sso-region",
        ),
        (
            "sync:\n  sso:\n    - session: a\n      start-url: https://x\n",
            "3: 'sync.sso[0]': give either session or start-url, not both",
        ),
        (
            "sync:\n  sso:\n    - start-url: https://x\n",
            "3: 'sync.sso[0]': start-url needs sso-region (its IAM Identity Center region)",
        ),
        (
            "sync:\n  sso:\n    - session: a\n      role: [A]\n",
            "4: unknown key 'sync.sso[0].role'; did you mean 'roles'?",
        ),
        (
            "sync:\n  sso:\n    - session: a\n      sso-region: useast1\n",
            "4: 'sync.sso[0].sso-region': 'useast1' is not an AWS region name; did you mean us-east-1?",
        ),
        (
            "sync:\n  sso: corp\n",
            "2: 'sync.sso': expected a list of IAM Identity Center logins, got 'corp'",
        ),
        (
            "sync:\n  profiles: [dev\n",
            "2: not valid YAML: unclosed bracket",
        ),
        ("sync:\n\tprune: true\n", "2: not valid YAML"),
        (
            "sync: {}\n---\nsync: {}\n",
            "2: a second YAML document (after `---`): the config file is one document",
        ),
        ("sync:\n  profiles: *nothing\n", "2: not valid YAML"),
    ];
    for (text, want) in cases {
        let got = error(text);
        assert!(got.starts_with(want), "{text:?}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn aliases_work_and_cannot_explode() {
    let s = settings(
        "sync:\n  sso:\n    - {session: a, roles: &r [A, B]}\n    - {session: b, roles: *r}\n",
    );
    assert_eq!(s.sso[1].roles, ["A", "B"]);
    // A billion laughs: ten aliases of ten aliases ... stops at the node limit.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    assert!(
        error(&bomb).contains("too many YAML nodes"),
        "{}",
        error(&bomb)
    );
    let deep = format!("sync: {}{}\n", "[".repeat(200), "]".repeat(200));
    assert!(error(&deep).contains("nested too deeply"));
}

#[test]
fn what_is_saved_reads_back_the_same() {
    let mut s = settings(FULL);
    // Names that YAML 1.1 would read as something else must be quoted on the way out.
    s.profiles = vec![
        "no".into(),
        "on".into(),
        "0x1f".into(),
        "1:20".into(),
        "dev".into(),
    ];
    s.sso[1].roles = vec!["yes".into()];
    let text = render(&s).unwrap();
    assert_eq!(settings(&text), s, "{text}");
    assert!(
        text.contains("- \"012345678901\"") || text.contains("- '012345678901'"),
        "{text}"
    );
    // And as `with_sync` writes it into a file that has none.
    let empty = ConfigFile::parse(Path::new(PATH), None).unwrap();
    let new = empty.with_sync(&s).unwrap();
    assert!(new.starts_with("# eks-kc's config file"), "{new}");
    assert_eq!(settings(&new), s);
    // Nothing saved: an empty section.
    assert_eq!(render(&SyncSettings::default()).unwrap(), "sync: {}\n");
}

#[test]
fn save_replaces_the_sync_section_and_keeps_the_rest() {
    let before = "# top comment\n\nsync:\n  profiles: [a]   # old\n  regions:\n    - eu-west-1\n\n# about what follows\nkept: &k {x: 1}   # kept\n";
    let doc = yaml::parse(before).unwrap();
    let new = SyncSettings {
        profiles: vec!["b".into()],
        ..SyncSettings::default()
    };
    let section = render(&new).unwrap();
    let after = yaml::replace_entry(before, doc.as_ref(), "sync", &section).unwrap();
    assert_eq!(
        after,
        "# top comment\n\nsync:\n  profiles:\n  - b\n\n# about what follows\nkept: &k {x: 1}   # kept\n"
    );
    // The section last, without a final newline; and a file without one.
    let before = "other: 1\nsync:\n  prune: true";
    let doc = yaml::parse(before).unwrap();
    let after = yaml::replace_entry(before, doc.as_ref(), "sync", &section).unwrap();
    assert_eq!(after, "other: 1\nsync:\n  profiles:\n  - b\n");
    let before = "other: 1";
    let doc = yaml::parse(before).unwrap();
    let after = yaml::replace_entry(before, doc.as_ref(), "sync", &section).unwrap();
    assert_eq!(after, "other: 1\nsync:\n  profiles:\n  - b\n");
    // A section in flow style, under a block top level.
    let before = "sync: {prune: true}  # c\nother: 1\n";
    let doc = yaml::parse(before).unwrap();
    let after = yaml::replace_entry(before, doc.as_ref(), "sync", &section).unwrap();
    assert_eq!(after, "sync:\n  profiles:\n  - b\nother: 1\n");
    // A flow-style top level cannot have one section rewritten.
    let doc = yaml::parse("{sync: {}}").unwrap();
    assert!(yaml::replace_entry("{sync: {}}", doc.as_ref(), "sync", &section).is_err());
}

#[test]
fn a_saved_section_with_comments_round_trips_through_with_sync() {
    let f = parse(FULL).unwrap();
    let text = f.with_sync(&f.sync).unwrap();
    assert!(text.starts_with("# saved by hand\nsync:\n"), "{text}");
    assert_eq!(settings(&text), f.sync);
}

#[test]
fn the_exec_styles_are_the_flag_s() {
    let names: Vec<String> = ExecStyleArg::value_variants()
        .iter()
        .map(|v| v.to_possible_value().unwrap().get_name().to_owned())
        .collect();
    assert_eq!(names, keys::EXEC_STYLES);
}

proptest::proptest! {
    /// Whatever the file says, reading it ends in settings or an error, never a panic.
    #[test]
    fn any_text_reads_without_panicking(text in "(sync:\n|  |- |[a-z:{}\\[\\],&*'\"#\n -]){0,40}") {
        let _ = parse(&text);
    }
}

/// The schema as README and `sync --help` show it is one this reader accepts.
#[test]
fn the_documented_examples_parse() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```yaml\nsync:\n")
        .expect("README has the example")
        + 8;
    let example = &readme[start..start + readme[start..].find("```").unwrap()];
    let mut help = Cli::command();
    let help = help
        .find_subcommand_mut("sync")
        .unwrap()
        .get_after_long_help()
        .unwrap()
        .to_string();
    let from = help.find("\n  sync:\n").unwrap() + 1;
    let block: String = help[from..]
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    for text in [example, block.as_str()] {
        let f = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        // Every key; those excluded by others are in comments.
        assert_eq!(f.lines.len(), keys::SYNC.len() - 3, "{text}");
        for key in [
            "# role-arn: arn:",
            "# or: all-profiles: true",
            "# or: all-regions: true",
        ] {
            assert!(text.contains(key), "{key}");
        }
        assert_eq!(f.sync.sso.len(), 2);
        assert_eq!(f.sync.sso[0].accounts, ["prod-*", "111122223333"]);
    }
}
