//! The regions `sync --all-regions` asks, per partition.
//!
//! Maintained by hand from the AWS regional services list for Amazon EKS (checked 2026-11).
//! A region added by AWS later is still reachable with `--region`; an opt-in region that an
//! account has not enabled is reported as "not enabled" and skipped, not failed.

use crate::token::partition_of;

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

#[cfg(test)]
mod tests {
    use super::*;

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
