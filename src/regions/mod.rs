//! AWS partitions and regions: which partition a region belongs to (the STS host of its tokens,
//! the name in its ARNs), the regions `sync --all-regions` asks, and the check of a region name
//! typed by a person (`--region`, `AWS_REGION`, a profile's `region`).
//!
//! Partitions, their region patterns, DNS suffixes and FIPS support are the AWS SDK's own
//! partition data ([`partitions`], generated from the endpoint library of the SDK crates eks-kc
//! links, with a test that fails when they differ), resolved as the SDK resolves them: a listed
//! region first, then a partition whose pattern the name matches, else `aws`. A region AWS adds
//! later is still reachable with `--region` (a well-formed name that is not listed is a warning,
//! not an error); an opt-in region that an account has not enabled is reported as "not enabled"
//! and skipped, not failed; only an opt-in one ([`is_opt_in`]): elsewhere the same refusal
//! means the credentials were rejected.

mod partitions;

/// An AWS partition as the SDK's partition data describes it: its name (in ARNs), the DNS
/// suffix of its endpoints (the token names the STS host in it), its regions and the pattern
/// of region names it owns.
#[derive(Debug, PartialEq, Eq)]
pub struct Partition {
    pub name: &'static str,
    pub dns_suffix: &'static str,
    pub supports_fips: bool,
    /// The region the SDK signs global calls in: one every account has enabled.
    pub implicit_global_region: &'static str,
    /// The SDK's pattern, kept verbatim (the generated table is checked against it).
    pub region_regex: &'static str,
    /// The pattern in the only shape the SDK uses: one of these labels, then `-WORD-DIGITS`.
    pub region_prefixes: &'static [&'static str],
    /// The regions the SDK lists (its `*-global` pseudo-regions left out), sorted.
    pub regions: &'static [&'static str],
}

impl Partition {
    /// Whether `region` has this partition's shape: `PREFIX-WORD-DIGITS`, as the SDK's
    /// `^(PREFIX|...)\-\w+\-\d+$` matches it.
    pub fn matches(&self, region: &str) -> bool {
        self.region_prefixes.iter().any(|prefix| {
            region
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|rest| rest.split_once('-'))
                .is_some_and(|(word, number)| {
                    !word.is_empty()
                        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        && !number.is_empty()
                        && number.bytes().all(|b| b.is_ascii_digit())
                })
        })
    }
}

/// Every partition the SDK knows, `aws` first.
pub fn partitions() -> &'static [Partition] {
    partitions::PARTITIONS
}

/// The partition a region belongs to, as the SDK resolves it: the partition that lists it,
/// else the first whose pattern it matches, else `aws`.
pub fn partition_of(region: &str) -> &'static Partition {
    let all = partitions();
    all.iter()
        .find(|p| p.regions.contains(&region))
        .or_else(|| all.iter().find(|p| p.matches(region)))
        .unwrap_or(&all[0])
}

/// The regions of the partition `region` belongs to (every one the SDK lists: EKS is in each).
pub fn eks_regions_like(region: &str) -> &'static [&'static str] {
    partition_of(region).regions
}

/// The regions of each partition that every account has enabled (those opened before March
/// 2019). Any other region is opt-in: an account that has not enabled it is refused there with
/// the same error codes as an unknown key, so only such a region can be "not enabled".
const ENABLED_BY_DEFAULT: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Whether `region` is an opt-in region (one an account may not have enabled). The China and
/// GovCloud regions are not; a region eks-kc does not know is taken for a newer, opt-in one.
pub fn is_opt_in(region: &str) -> bool {
    match partition_of(region).name {
        "aws" => !ENABLED_BY_DEFAULT.contains(&region),
        _ => false,
    }
}

/// A region of `region`'s partition that every account has enabled: where a refusal of the
/// credentials cannot mean "region not enabled".
pub fn home_region_like(region: &str) -> &'static str {
    partition_of(region).implicit_global_region
}

/// Every region eks-kc knows, in every partition, sorted.
pub fn known() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = partitions()
        .iter()
        .flat_map(|p| p.regions)
        .copied()
        .collect();
    all.sort_unstable();
    all
}

/// What a region name turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// One of the known EKS regions.
    Known,
    /// Shaped like a region (`xx-name-9`) but not in eks-kc's list: perhaps one AWS added since.
    /// Used anyway; the text is a warning to show.
    Unknown(String),
}

/// Checks a region name. A malformed name is an error that suggests the nearest known region
/// (`eu-west1` -> `eu-west-1`); a well-formed unknown one is accepted with a warning, so a region
/// AWS opens after this release still works.
pub fn check(region: &str) -> Result<Checked, String> {
    // Allocation-free: `eks-kc token` checks its region on every call, cache hits included.
    if partitions().iter().any(|p| p.regions.contains(&region)) {
        return Ok(Checked::Known);
    }
    let nearest = nearest(region);
    if well_formed(region) {
        let hint = nearest
            .map(|n| format!(" (did you mean {n}?)"))
            .unwrap_or_default();
        return Ok(Checked::Unknown(format!(
            "'{region}' is not an EKS region eks-kc knows{hint}; trying it anyway"
        )));
    }
    Err(match nearest {
        Some(n) => format!("'{region}' is not an AWS region name; did you mean {n}?"),
        None => format!(
            "'{region}' is not an AWS region name (expected something like eu-west-1; \
             `{bin} sync --all-regions` asks every EKS region)",
            bin = crate::display::bin()
        ),
    })
}

/// clap's value parser for `--region`: malformed names are usage errors with a suggestion.
pub fn parse(region: &str) -> Result<String, String> {
    check(region).map(|_| region.to_owned())
}

/// Shaped like a region: one of a partition's patterns (`eusc-de-east-1`), or
/// `partition-area-N` as AWS names regions in general: lowercase words joined by `-`, the first
/// of two letters, ending in a number (`eu-west-1`, `us-gov-west-1`, `xx-newer-9`).
fn well_formed(region: &str) -> bool {
    if region.len() > 32 {
        return false;
    }
    if partitions().iter().any(|p| p.matches(region)) {
        return true;
    }
    let parts: Vec<&str> = region.split('-').collect();
    let Some((last, words)) = parts.split_last() else {
        return false;
    };
    words.len() >= 2
        && words[0].len() == 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// The known region closest to `typed` by edit distance (ignoring case), when it is close
/// enough to be a typo: at most 3 edits and less than a third of the name.
fn nearest(typed: &str) -> Option<&'static str> {
    let typed = typed.to_ascii_lowercase();
    known()
        .into_iter()
        .map(|k| (edit_distance(&typed, k), k))
        .min()
        .filter(|(d, k)| *d <= 3 && *d * 3 < k.len())
        .map(|(_, k)| k)
}

/// Levenshtein distance over bytes (region names are ASCII; other input is just far away).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_opt_in_regions_can_be_not_enabled() {
        for r in [
            "us-east-1",
            "eu-west-1",
            "ap-northeast-3",
            "cn-north-1",
            "us-gov-west-1",
        ] {
            assert!(!is_opt_in(r), "{r}");
        }
        for r in ["af-south-1", "me-central-1", "ap-southeast-7", "xx-newer-1"] {
            assert!(is_opt_in(r), "{r}");
        }
        assert_eq!(home_region_like("af-south-1"), "us-east-1");
        assert_eq!(home_region_like("cn-north-1"), "cn-northwest-1");
    }

    #[test]
    fn typos_are_errors_with_the_nearest_region() {
        assert_eq!(check("eu-west-1"), Ok(Checked::Known));
        assert_eq!(check("cn-northwest-1"), Ok(Checked::Known));
        let err = check("eu-west1").unwrap_err();
        assert!(err.contains("did you mean eu-west-1?"), "{err}");
        let err = check("US-EAST-1").unwrap_err();
        assert!(err.contains("did you mean us-east-1?"), "{err}");
        let err = check("euwest-2").unwrap_err();
        assert!(err.contains("eu-west-2"), "{err}");
        let err = check("not-a-region").unwrap_err();
        assert!(err.contains("expected something like eu-west-1"), "{err}");
        assert!(!err.contains("did you mean"), "{err}");
        for bad in [
            "",
            "-",
            "eu-west-",
            "eu west 1",
            "é-west-1",
            "eu-west-1\n",
            &"a".repeat(200),
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn well_formed_unknown_regions_are_warnings() {
        let Ok(Checked::Unknown(w)) = check("xx-newregion-9") else {
            panic!("a new region must be accepted");
        };
        assert!(w.contains("trying it anyway"), "{w}");
        assert!(matches!(check("eu-west-9"), Ok(Checked::Unknown(w)) if w.contains("eu-west-1")));
        assert_eq!(check("us-isob-east-1"), Ok(Checked::Known));
        assert!(matches!(check("us-isob-north-9"), Ok(Checked::Unknown(_))));
        assert_eq!(parse("xx-newregion-9").as_deref(), Ok("xx-newregion-9"));
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("eu-west1", "eu-west-1"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn partitions_have_their_own_regions() {
        assert!(eks_regions_like("eu-west-1").contains(&"us-east-1"));
        assert_eq!(
            eks_regions_like("cn-north-1"),
            ["cn-north-1", "cn-northwest-1"]
        );
        assert_eq!(
            eks_regions_like("us-gov-west-1"),
            ["us-gov-east-1", "us-gov-west-1"]
        );
        assert_eq!(eks_regions_like("eusc-de-east-1"), ["eusc-de-east-1"]);
        assert!(!eks_regions_like("us-isob-east-1").contains(&"us-east-1"));
        for p in partitions() {
            let mut sorted = p.regions.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, p.regions, "{}: sorted and unique", p.name);
            assert!(p.regions.contains(&p.implicit_global_region), "{}", p.name);
            for r in p.regions {
                crate::token::validate_region(r).unwrap();
                assert_eq!(partition_of(r).name, p.name, "{r}");
                assert!(p.matches(r), "{r} has its partition's shape");
            }
        }
    }

    #[test]
    fn partitions_are_resolved_as_the_sdk_resolves_them() {
        // The sovereign cloud (issue 35): a name of its pattern is in aws-eusc, not aws.
        assert_eq!(partition_of("eusc-de-east-1").dns_suffix, "amazonaws.eu");
        assert_eq!(partition_of("eusc-de-west-7").name, "aws-eusc");
        assert_eq!(partition_of("cn-south-9").name, "aws-cn");
        assert_eq!(partition_of("us-gov-north-3").name, "aws-us-gov");
        assert_eq!(partition_of("us-isob-north-2").name, "aws-iso-b");
        assert_eq!(partition_of("xx-newer-1").name, "aws");
        assert_eq!(partition_of("eu-west-1").name, "aws");
        // A pattern matches whole labels only.
        let eusc = partition_of("eusc-de-east-1");
        for not in [
            "eusc-de-east",
            "eusc-de--1",
            "eusc-fr-east-1",
            "eusc-de-east-1x",
            "eusc-de",
        ] {
            assert!(!eusc.matches(not), "{not}");
        }
    }

    #[test]
    fn sovereign_regions_are_regions() {
        assert_eq!(check("eusc-de-east-1"), Ok(Checked::Known));
        assert!(matches!(check("eusc-de-north-2"), Ok(Checked::Unknown(_))));
        assert_eq!(home_region_like("eusc-de-east-1"), "eusc-de-east-1");
        assert!(known().contains(&"eusc-de-east-1"));
    }
}
