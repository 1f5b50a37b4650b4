//! The AWS SDK's partition data, rendered from the endpoint library of the aws-sdk-sts
//! eks-kc links: do not edit. `EKS_KC_REGENERATE=1 cargo test --test it generated::`
//! rewrites it; that test fails when the SDK's data and this file differ.

use super::Partition;

#[rustfmt::skip]
pub(super) const PARTITIONS: &[Partition] = &[
    Partition {
        name: "aws",
        dns_suffix: "amazonaws.com",
        supports_fips: true,
        implicit_global_region: "us-east-1",
        region_regex: "^(us|eu|ap|sa|ca|me|af|il|mx)\\-\\w+\\-\\d+$",
        region_prefixes: &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"],
        regions: &["af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"],
    },
    Partition {
        name: "aws-cn",
        dns_suffix: "amazonaws.com.cn",
        supports_fips: true,
        implicit_global_region: "cn-northwest-1",
        region_regex: "^cn\\-\\w+\\-\\d+$",
        region_prefixes: &["cn"],
        regions: &["cn-north-1", "cn-northwest-1"],
    },
    Partition {
        name: "aws-eusc",
        dns_suffix: "amazonaws.eu",
        supports_fips: true,
        implicit_global_region: "eusc-de-east-1",
        region_regex: "^eusc\\-(de)\\-\\w+\\-\\d+$",
        region_prefixes: &["eusc-de"],
        regions: &["eusc-de-east-1"],
    },
    Partition {
        name: "aws-iso",
        dns_suffix: "c2s.ic.gov",
        supports_fips: true,
        implicit_global_region: "us-iso-east-1",
        region_regex: "^us\\-iso\\-\\w+\\-\\d+$",
        region_prefixes: &["us-iso"],
        regions: &["us-iso-east-1", "us-iso-west-1"],
    },
    Partition {
        name: "aws-iso-b",
        dns_suffix: "sc2s.sgov.gov",
        supports_fips: true,
        implicit_global_region: "us-isob-east-1",
        region_regex: "^us\\-isob\\-\\w+\\-\\d+$",
        region_prefixes: &["us-isob"],
        regions: &["us-isob-east-1", "us-isob-west-1"],
    },
    Partition {
        name: "aws-iso-e",
        dns_suffix: "cloud.adc-e.uk",
        supports_fips: true,
        implicit_global_region: "eu-isoe-west-1",
        region_regex: "^eu\\-isoe\\-\\w+\\-\\d+$",
        region_prefixes: &["eu-isoe"],
        regions: &["eu-isoe-west-1"],
    },
    Partition {
        name: "aws-iso-f",
        dns_suffix: "csp.hci.ic.gov",
        supports_fips: true,
        implicit_global_region: "us-isof-south-1",
        region_regex: "^us\\-isof\\-\\w+\\-\\d+$",
        region_prefixes: &["us-isof"],
        regions: &["us-isof-east-1", "us-isof-south-1"],
    },
    Partition {
        name: "aws-us-gov",
        dns_suffix: "amazonaws.com",
        supports_fips: true,
        implicit_global_region: "us-gov-west-1",
        region_regex: "^us\\-gov\\-\\w+\\-\\d+$",
        region_prefixes: &["us-gov"],
        regions: &["us-gov-east-1", "us-gov-west-1"],
    },
];
