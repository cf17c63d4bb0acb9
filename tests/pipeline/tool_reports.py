"""Reports in each tool's real output shape (field names and nesting as the tools write them),
built at test time with the scan time and findings a test needs."""

from __future__ import annotations

import json

IMAGE = "registry.example.com/ml/scoring-server"
DIGEST = "sha256:" + "5f0c4e2a9b" * 6 + "7d3e"


def trivy_image(created: str, *, critical: bool = True, tag: str = "1.4.2") -> str:
    vulns = [
        {
            "VulnerabilityID": "CVE-2024-45490",
            "PkgID": "libexpat1@2.5.0-1",
            "PkgName": "libexpat1",
            "PkgIdentifier": {
                "PURL": "pkg:deb/debian/libexpat1@2.5.0-1?arch=amd64&distro=debian-12.7"
            },
            "InstalledVersion": "2.5.0-1",
            "FixedVersion": "2.5.0-1+deb12u1",
            "Status": "fixed",
            "Layer": {"DiffID": "sha256:" + "8e" * 32},
            "SeveritySource": "debian",
            "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2024-45490",
            "Title": "libexpat: Negative Length Parsing Vulnerability in libexpat",
            "Severity": "CRITICAL" if critical else "MEDIUM",
            "CweIDs": ["CWE-611"],
            "CVSS": {
                "nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}
            },
        }
    ]
    return json.dumps(
        {
            "SchemaVersion": 2,
            "Trivy": {"Version": "0.57.1"},
            "CreatedAt": created,
            "ArtifactName": f"{IMAGE}:{tag}",
            "ArtifactType": "container_image",
            "Metadata": {
                "Size": 187265024,
                "OS": {"Family": "debian", "Name": "12.7"},
                "ImageID": "sha256:" + "a1" * 32,
                "DiffIDs": ["sha256:" + "8e" * 32],
                "RepoTags": [f"{IMAGE}:{tag}"],
                "RepoDigests": [f"{IMAGE}@{DIGEST}"],
                "ImageConfig": {
                    "architecture": "amd64",
                    "os": "linux",
                    "config": {"User": "10001", "Cmd": ["python", "serve.py"]},
                },
            },
            "Results": [
                {
                    "Target": f"{IMAGE}:{tag} (debian 12.7)",
                    "Class": "os-pkgs",
                    "Type": "debian",
                    "Vulnerabilities": vulns,
                },
                {"Target": "Python", "Class": "lang-pkgs", "Type": "python-pkg"},
            ],
        },
        indent=2,
    )


def trivy_fs_secret(created: str) -> str:
    return json.dumps(
        {
            "SchemaVersion": 2,
            "Trivy": {"Version": "0.57.1"},
            "CreatedAt": created,
            "ArtifactName": ".",
            "ArtifactType": "filesystem",
            "Results": [
                {
                    "Target": "requirements.txt",
                    "Class": "lang-pkgs",
                    "Type": "pip",
                    "Vulnerabilities": [],
                },
                {
                    "Target": "configs/train.env",
                    "Class": "secret",
                    "Secrets": [
                        {
                            "RuleID": "huggingface-access-token",
                            "Category": "HuggingFace",
                            "Severity": "CRITICAL",
                            "Title": "Hugging Face Access Token",
                            "StartLine": 3,
                            "EndLine": 3,
                            "Match": "HF_TOKEN=*************************************",
                        }
                    ],
                },
            ],
        }
    )


def checkov(*, public_bucket: bool, parsing_errors: int = 0, unencrypted: bool = False) -> str:
    """checkov -d . -o json on a Terraform repository (3.2.x), plus its secrets pass.

    ``unencrypted``: the feature bucket has no default KMS encryption (CKV_AWS_145 fails)."""
    failed = [
        {
            "check_id": "CKV_AWS_20",
            "bc_check_id": "BC_AWS_S3_1",
            "check_name": "S3 Bucket has an ACL defined which allows public READ access.",
            "check_result": {"result": "FAILED", "evaluated_keys": ["acl"]},
            "code_block": [
                [12, 'resource "aws_s3_bucket_acl" "features" {\n'],
                [14, '  acl = "public-read"\n'],
            ],
            "file_path": "/infra/storage.tf",
            "file_abs_path": "/repo/infra/storage.tf",
            "repo_file_path": "/infra/storage.tf",
            "file_line_range": [12, 15],
            "resource": "aws_s3_bucket_acl.features",
            "evaluations": None,
            "check_class": "checkov.terraform.checks.resource.aws.S3PublicACLRead",
            "fixed_definition": None,
            "entity_tags": None,
            "caller_file_path": None,
            "caller_file_line_range": None,
            "resource_address": None,
            "severity": None,
            "bc_category": None,
            "benchmarks": None,
            "description": None,
            "short_description": None,
            "vulnerability_details": None,
            "connected_node": None,
            "guideline": "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/aws-policies/s3-policies/s3-1-acl-read-permissions-everyone",
            "details": [],
            "check_len": None,
            "definition_context_file_path": "/repo/infra/storage.tf",
        }
    ]
    passed = [
        {
            "check_id": rule,
            "check_name": name,
            "check_result": {"result": "PASSED"},
            "file_path": "/infra/storage.tf",
            "repo_file_path": "/infra/storage.tf",
            "file_line_range": [1, 10],
            "resource": resource,
        }
        for rule, name, resource in [
            (
                "CKV_AWS_19",
                "Ensure all data stored in the S3 bucket is securely encrypted at rest",
                "aws_s3_bucket.models",
            ),
            (
                "CKV_AWS_145",
                "Ensure that S3 buckets are encrypted with KMS by default",
                "aws_s3_bucket.models",
            ),
            (
                "CKV_AWS_53",
                "Ensure S3 bucket has block public ACLS enabled",
                "aws_s3_bucket_public_access_block.models",
            ),
        ]
    ]
    failed = failed if public_bucket else []
    if unencrypted:
        failed.append(
            {
                "check_id": "CKV_AWS_145",
                "bc_check_id": "BC_AWS_GENERAL_56",
                "check_name": "Ensure that S3 buckets are encrypted with KMS by default",
                "check_result": {"result": "FAILED", "evaluated_keys": []},
                "code_block": [[1, 'resource "aws_s3_bucket" "features" {\n']],
                "file_path": "/infra/storage.tf",
                "file_abs_path": "/repo/infra/storage.tf",
                "repo_file_path": "/infra/storage.tf",
                "file_line_range": [1, 4],
                "resource": "aws_s3_bucket.features",
                "check_class": "checkov.terraform.checks.graph_checks.aws.S3KMSEncryptedByDefault",
                "guideline": "https://docs.prismacloud.io/en/enterprise-edition/policy-reference/aws-policies/aws-general-policies/ensure-that-s3-buckets-are-encrypted-with-kms-by-default",
            }
        )
    terraform = {
        "check_type": "terraform",
        "results": {
            "passed_checks": passed,
            "failed_checks": failed,
            "skipped_checks": [],
            "parsing_errors": [f"/repo/infra/broken{i}.tf" for i in range(parsing_errors)],
        },
        "summary": {
            "passed": 3,
            "failed": len(failed),
            "skipped": 0,
            "parsing_errors": parsing_errors,
            "resource_count": 6,
            "checkov_version": "3.2.334",
        },
        "url": "Add an api key '--bc-api-key <api-key>' to see more detailed insights via https://bridgecrew.cloud",
    }
    secrets = {
        "check_type": "secrets",
        "results": {
            "passed_checks": [],
            "failed_checks": [],
            "skipped_checks": [],
            "parsing_errors": [],
        },
        "summary": {
            "passed": 0,
            "failed": 0,
            "skipped": 0,
            "parsing_errors": 0,
            "resource_count": 14,
            "checkov_version": "3.2.334",
        },
    }
    return json.dumps([terraform, secrets], indent=2)


def bandit(generated_at: str, *, pickle_hit: bool = True, errors: bool = False) -> str:
    results = [
        {
            "code": "11 with open(path, 'rb') as handle:\n12     model = pickle.load(handle)\n",
            "col_offset": 16,
            "end_col_offset": 35,
            "filename": "./serving/app.py",
            "issue_confidence": "HIGH",
            "issue_cwe": {"id": 502, "link": "https://cwe.mitre.org/data/definitions/502.html"},
            "issue_severity": "MEDIUM",
            "issue_text": "Pickle and modules that wrap it can be unsafe when used to "
            "deserialize untrusted data, possible security issue.",
            "line_number": 12,
            "line_range": [12],
            "more_info": "https://bandit.readthedocs.io/en/1.7.10/blacklists/blacklist_calls.html#b301-pickle",
            "test_id": "B301",
            "test_name": "blacklist",
        },
        {
            "code": "3 import subprocess\n",
            "col_offset": 0,
            "end_col_offset": 17,
            "filename": "./train.py",
            "issue_confidence": "HIGH",
            "issue_cwe": {"id": 78, "link": "https://cwe.mitre.org/data/definitions/78.html"},
            "issue_severity": "LOW",
            "issue_text": "Consider possible security implications associated with the "
            "subprocess module.",
            "line_number": 3,
            "line_range": [3],
            "more_info": "https://bandit.readthedocs.io/en/1.7.10/blacklists/blacklist_imports.html#b404-import-subprocess",
            "test_id": "B404",
            "test_name": "blacklist",
        },
    ]
    return json.dumps(
        {
            "errors": [
                {
                    "filename": "./legacy/convert.py",
                    "reason": "syntax error while parsing AST from file",
                }
            ]
            if errors
            else [],
            "generated_at": generated_at,
            "metrics": {
                "_totals": {
                    "CONFIDENCE.HIGH": 2,
                    "SEVERITY.LOW": 1,
                    "SEVERITY.MEDIUM": 1,
                    "loc": 412,
                    "nosec": 0,
                    "skipped_tests": 0,
                }
            },
            "results": results if pickle_hit else results[1:],
        },
        indent=2,
    )


def semgrep(*, hit: bool) -> str:
    result = {
        "check_id": "python.lang.security.deserialization.avoid-pickle.avoid-pickle",
        "path": "serving/app.py",
        "start": {"line": 12, "col": 17, "offset": 301},
        "end": {"line": 12, "col": 36, "offset": 320},
        "extra": {
            "message": "Avoid using `pickle`, which is known to lead to code execution "
            "vulnerabilities.",
            "metadata": {
                "cwe": ["CWE-502: Deserialization of Untrusted Data"],
                "owasp": ["A08:2017 - Insecure Deserialization"],
                "category": "security",
            },
            "severity": "WARNING",
            "fingerprint": "requires login",
            "lines": "requires login",
            "validation_state": "NO_VALIDATOR",
            "engine_kind": "OSS",
        },
    }
    return json.dumps(
        {
            "version": "1.97.0",
            "results": [result] if hit else [],
            "errors": [],
            "paths": {"scanned": ["serving/app.py", "train.py"]},
            "skipped_rules": [],
            "interfile_languages_used": [],
        }
    )


def gitleaks_sarif(end_time: str | None, *, leak: bool) -> str:
    results = [
        {
            "message": {
                "text": "huggingface-access-token has detected secret for file configs/train.env."
            },
            "ruleId": "huggingface-access-token",
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "configs/train.env"},
                        "region": {
                            "startLine": 3,
                            "startColumn": 10,
                            "endLine": 3,
                            "endColumn": 47,
                            "snippet": {"text": "REDACTED"},
                        },
                    }
                }
            ],
            "partialFingerprints": {
                "commitSha": "",
                "email": "",
                "author": "",
                "date": "",
                "commitMessage": "",
            },
        }
    ]
    run = {
        "tool": {
            "driver": {
                "name": "gitleaks",
                "semanticVersion": "v8.21.2",
                "informationUri": "https://github.com/gitleaks/gitleaks",
                "rules": [
                    {
                        "id": "huggingface-access-token",
                        "shortDescription": {"text": "Hugging Face access token"},
                    }
                ],
            }
        },
        "results": results if leak else [],
    }
    if end_time is not None:
        run["invocations"] = [{"executionSuccessful": True, "endTimeUtc": end_time}]
    return json.dumps(
        {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
        },
        indent=2,
    )


def pip_audit(*, vulnerable: bool, skipped: bool = False) -> str:
    deps: list[dict[str, object]] = [
        {"name": "numpy", "version": "1.26.4", "vulns": []},
        {
            "name": "transformers",
            "version": "4.36.0",
            "vulns": [
                {
                    "id": "PYSEC-2024-227",
                    "fix_versions": ["4.38.0"],
                    "aliases": ["CVE-2024-3568", "GHSA-37q5-v5qm-c9v8"],
                    "description": "Deserialization of untrusted data in load_repo_checkpoint().",
                }
            ]
            if vulnerable
            else [],
        },
    ]
    if skipped:
        deps.append(
            {
                "name": "internal-features",
                "skip_reason": "Dependency not found on PyPI and could not be audited: internal-features (0.3.1)",
            }
        )
    return json.dumps({"dependencies": deps, "fixes": []})


def osv_scanner(*, vulnerable: bool) -> str:
    vuln = {
        "modified": "2024-11-18T16:46:13Z",
        "published": "2024-04-10T17:20:12Z",
        "schema_version": "1.6.0",
        "id": "GHSA-37q5-v5qm-c9v8",
        "aliases": ["CVE-2024-3568", "PYSEC-2024-227"],
        "summary": "Transformers Deserialization of Untrusted Data vulnerability",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "transformers"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "4.38.0"}]}
                ],
            }
        ],
    }
    package = {
        "package": {"name": "transformers", "version": "4.36.0", "ecosystem": "PyPI"},
        "vulnerabilities": [vuln] if vulnerable else [],
        "groups": [
            {
                "ids": ["GHSA-37q5-v5qm-c9v8", "PYSEC-2024-227"],
                "aliases": ["CVE-2024-3568"],
                "max_severity": "8.8",
            }
        ]
        if vulnerable
        else [],
    }
    return json.dumps(
        {
            "results": [
                {
                    "source": {"path": "/src/requirements.txt", "type": "lockfile"},
                    "packages": [package],
                }
            ],
            "experimental_config": {"licenses": {"summary": False, "allowlist": None}},
        }
    )
