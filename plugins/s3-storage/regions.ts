/**
 * The country each AWS region's data centres are in (ISO 3166-1 alpha-2): the
 * bucket's processing location in the manifest. A region missing here (a new
 * one, or an S3-compatible store's own region names) needs S3_LOCATION.
 */
export const AWS_REGION_COUNTRIES: Readonly<Record<string, string>> = {
  "eu-west-1": "IE",
  "eu-west-2": "GB",
  "eu-west-3": "FR",
  "eu-central-1": "DE",
  "eu-central-2": "CH",
  "eu-north-1": "SE",
  "eu-south-1": "IT",
  "eu-south-2": "ES",
  "us-east-1": "US",
  "us-east-2": "US",
  "us-west-1": "US",
  "us-west-2": "US",
  "ca-central-1": "CA",
  "ca-west-1": "CA",
  "sa-east-1": "BR",
  "mx-central-1": "MX",
  "af-south-1": "ZA",
  "il-central-1": "IL",
  "me-south-1": "BH",
  "me-central-1": "AE",
  "ap-east-1": "HK",
  "ap-south-1": "IN",
  "ap-south-2": "IN",
  "ap-northeast-1": "JP",
  "ap-northeast-2": "KR",
  "ap-northeast-3": "JP",
  "ap-southeast-1": "SG",
  "ap-southeast-2": "AU",
  "ap-southeast-3": "ID",
  "ap-southeast-4": "AU",
  "ap-southeast-5": "MY",
  "ap-southeast-7": "TH",
};
