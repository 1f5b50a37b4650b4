//! The regions `sync --all-regions` asks, per partition, and the check of a region name typed
//! by a person (`--region`, `AWS_REGION`, a profile's `region`).
//!
//! Maintained by hand from the AWS regional services list for Amazon EKS (checked 2026-11).
//! A region added by AWS later is still reachable with `--region` (a well-formed name that is not
//! in these lists is a warning, not an error); an opt-in region that an account has not enabled
//! is reported as "not enabled" and skipped, not failed; only an opt-in one ([`is_opt_in`]):
//! elsewhere the same refusal means the credentials were rejected.

/// An AWS partition as far as eks-kc cares: which DNS suffix its endpoints use (the
/// token names the STS host in it) and which name appears in ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub name: &'static str,
    pub dns_suffix: &'static str,
}

/// The partition a region belongs to, by the region-name prefixes AWS publishes.
pub fn partition_of(region: &str) -> Partition {
    const TABLE: &[(&str, &str, &str)] = &[
        ("cn-", "aws-cn", "amazonaws.com.cn"),
        ("us-gov-", "aws-us-gov", "amazonaws.com"),
        ("us-isob-", "aws-iso-b", "sc2s.sgov.gov"),
        ("us-isof-", "aws-iso-f", "csp.hci.ic.gov"),
        ("us-iso-", "aws-iso", "c2s.ic.gov"),
        ("eu-isoe-", "aws-iso-e", "cloud.adc-e.uk"),
    ];
    TABLE
        .iter()
        .find(|(prefix, _, _)| region.starts_with(prefix))
        .map(|&(_, name, dns_suffix)| Partition { name, dns_suffix })
        .unwrap_or(Partition {
            name: "aws",
            dns_suffix: "amazonaws.com",
        })
}

const AWS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];
const AWS_CN: &[&str] = &["cn-north-1", "cn-northwest-1"];
const AWS_US_GOV: &[&str] = &["us-gov-east-1", "us-gov-west-1"];

/// The EKS regions of the partition `region` belongs to.
pub fn eks_regions_like(region: &str) -> &'static [&'static str] {
    match partition_of(region).name {
        "aws-cn" => AWS_CN,
        "aws-us-gov" => AWS_US_GOV,
        _ => AWS,
    }
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
    match partition_of(region).name {
        "aws-cn" => "cn-north-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    }
}

/// Every region eks-kc knows, in every partition, sorted.
pub fn known() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = [AWS, AWS_CN, AWS_US_GOV].concat();
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
    if [AWS, AWS_CN, AWS_US_GOV]
        .iter()
        .any(|l| l.contains(&region))
    {
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

/// `partition-area-N` as AWS names regions: lowercase words joined by `-`, ending in a number
/// (`eu-west-1`, `us-gov-west-1`, `us-isob-east-1`).
fn well_formed(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let Some((last, words)) = parts.split_last() else {
        return false;
    };
    region.len() <= 32
        && words.len() >= 2
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
        assert_eq!(home_region_like("cn-northwest-1"), "cn-north-1");
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
        assert!(matches!(check("us-isob-east-1"), Ok(Checked::Unknown(_))));
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
        assert_eq!(eks_regions_like("cn-north-1"), AWS_CN);
        assert_eq!(eks_regions_like("us-gov-west-1"), AWS_US_GOV);
        for list in [AWS, AWS_CN, AWS_US_GOV] {
            let mut sorted = list.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, list, "keep the lists sorted and unique");
            for r in list {
                crate::token::validate_region(r).unwrap();
            }
        }
    }
}
