"""ML storage in infrastructure code: public access (MLC800), encryption at rest (MLC801),
customer-managed keys for weight locations (MLC802) and object-level access logging (MLC803).

Every bucket, volume, file system, database, registry and feature store declared in Terraform
or CloudFormation is an ML storage location (the project is an ML system; a store it declares
holds its data, features or artifacts). Companion resources are joined to their store by
reference (``bucket = aws_s3_bucket.models.id``) or by literal name. A value that is an
expression mlsvs does not evaluate (``var.x``) leaves that store not verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    expression,
    is_false,
    names,
    nothing_found,
    references,
    remote_module_outcome,
    target_of,
    truthy,
    unread_outcomes,
)
from mlsvs.checks.platform._policy import PolicyUnreadableError, public_statements, statements
from mlsvs.checks.platform._sources import IAC, Source, block, items, load, mapping
from mlsvs.checks.platform._stores import Store, stores
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlsvs.checks.platform._sources import Inventory, TfBlock
    from mlsvs.plugin import CheckContext, Outcome


@dataclass(slots=True)
class Judgement:
    """What one rule found about one store."""

    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _judge_all(
    project: Project,
    what: str,
    rule: Callable[[Store, Inventory], Judgement | None],
    *,
    kinds: frozenset[str] | None = None,
) -> Iterator[Outcome]:
    inventory = load(project, IAC)
    yield from unread_outcomes(inventory, what)
    if not inventory.files:
        yield nothing_found("Terraform or CloudFormation", what)
        return
    yield from remote_module_outcome(inventory, what)
    judged = 0
    for store in stores(inventory):
        if kinds is not None and store.kind not in kinds:
            continue
        judgement = rule(store, inventory)
        if judgement is None:
            continue
        judged += 1
        facts = (("kind", store.kind), ("resource", store.address), ("file", store.path))
        if judgement.problems:
            yield failed(
                f"{store.address} ({store.path}): " + "; ".join(judgement.problems),
                key=store.address,
                facts=facts,
            )
        elif judgement.unknown:
            yield not_verified(
                f"{store.address} ({store.path}): {what} cannot be decided: "
                + "; ".join(judgement.unknown),
                [
                    Gap(
                        item=f"{store.path}: {store.address}",
                        reason=GapReason.UNSUPPORTED,
                        detail=u[:300],
                    )
                    for u in judgement.unknown
                ],
                key=store.address,
                facts=facts,
            )
        else:
            yield passed(
                f"{store.address} ({store.path}): " + "; ".join(judgement.evidence),
                key=store.address,
                facts=facts,
            )
    if not judged and not inventory.gaps and not inventory.remote_modules():
        scope = "" if kinds is None else f" of kind {', '.join(sorted(kinds))}"
        yield not_applicable(
            f"the infrastructure code ({names(inventory.files)}) declares no storage "
            f"location{scope}",
        )


# ---------------------------------------------------------------- public access (M9.2.3)

_PAB_FLAGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)
_CFN_PAB_FLAGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
_PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
_CFN_PUBLIC_ACLS = frozenset({"PublicRead", "PublicReadWrite", "AuthenticatedRead"})
_PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def _bucket_names(inventory: Inventory, rtype: str, key: str) -> dict[str, str]:
    """Literal name -> resource name, to join companions written with a literal name."""
    out = {}
    for b in inventory.resources(rtype):
        value = b.body.get(key)
        if isinstance(value, str) and not expression(value):
            out[value] = b.name
    return out


def _companions(
    inventory: Inventory, store: Store, ctype: str, key: str, name_key: str
) -> list[TfBlock]:
    """``ctype`` resources whose ``key`` points at ``store`` (by reference or literal name)."""
    literal = _bucket_names(inventory, store.type, name_key)
    return [
        c
        for c in inventory.resources(ctype)
        if store.name in target_of(c, key, store.type, literal)
    ]


def _flags(body: object, flags: tuple[str, ...], judgement: Judgement, where: str) -> bool:
    values = mapping(body)
    off = [f for f in flags if not truthy(values.get(f)) and not expression(values.get(f))]
    unknown = [f for f in flags if expression(values.get(f))]
    if unknown:
        judgement.unknown.append(f"{where} sets {', '.join(unknown)} from an expression")
    if off:
        judgement.problems.append(f"{where} leaves {', '.join(off)} off")
    return not off and not unknown


def _policy_public(value: object, inventory: Inventory, judgement: Judgement, where: str) -> None:
    try:
        public = public_statements(statements(value, inventory))
    except PolicyUnreadableError as exc:
        judgement.unknown.append(f"{where}: {exc}")
        return
    if public:
        actions = names(a for s in public for a in s.actions)
        judgement.problems.append(f"{where} allows principal '*' ({actions})")


def _public_access(store: Store, inventory: Inventory) -> Judgement | None:
    j = Judgement()
    if store.cloudformation:
        return _cfn_public(store, inventory, j)
    body = store.body
    if store.type == "aws_s3_bucket":
        account = [
            b
            for b in inventory.resources("aws_s3_account_public_access_block")
            if _flags(b.body, _PAB_FLAGS, Judgement(), "")
        ]
        blocks = _companions(
            inventory, store, "aws_s3_bucket_public_access_block", "bucket", "bucket"
        )
        if account:
            j.evidence.append(f"account-level public access block {account[0].address}")
        elif not blocks:
            j.problems.append("no aws_s3_bucket_public_access_block (nor an account-level one)")
        for pab in blocks:
            if _flags(pab.body, _PAB_FLAGS, j if not account else Judgement(), pab.address):
                j.evidence.append(f"{pab.address} blocks public ACLs and policies")
        acl = body.get("acl")
        if isinstance(acl, str) and acl in _PUBLIC_ACLS:
            j.problems.append(f"canned ACL {acl}")
        for res in _companions(inventory, store, "aws_s3_bucket_acl", "bucket", "bucket"):
            if str(res.body.get("acl", "")) in _PUBLIC_ACLS:
                j.problems.append(f"{res.address} sets canned ACL {res.body.get('acl')}")
            grants = [
                g for p in block(res.body, "access_control_policy") for g in block(p, "grant")
            ]
            for grant in grants:
                uri = " ".join(str(g.get("uri", "")) for g in block(grant, "grantee"))
                if "AllUsers" in uri or "AuthenticatedUsers" in uri:
                    j.problems.append(f"{res.address} grants {uri}")
        for pol in _companions(inventory, store, "aws_s3_bucket_policy", "bucket", "bucket"):
            _policy_public(pol.body.get("policy"), inventory, j, pol.address)
        return j
    if store.type == "google_storage_bucket":
        prevention = body.get("public_access_prevention")
        if prevention == "enforced":
            j.evidence.append("public_access_prevention = enforced")
        elif expression(prevention):
            j.unknown.append("public_access_prevention is an expression")
        else:
            j.problems.append(
                f"public_access_prevention is {prevention or 'not set'} (not enforced)"
            )
        literal = _bucket_names(inventory, store.type, "name")
        for ctype in (
            "google_storage_bucket_iam_member",
            "google_storage_bucket_iam_binding",
            "google_storage_bucket_access_control",
            "google_storage_bucket_acl",
            "google_storage_default_object_access_control",
        ):
            for res in inventory.resources(ctype):
                if store.name not in target_of(res, "bucket", store.type, literal):
                    continue
                text = " ".join(
                    str(v)
                    for k, v in res.body.items()
                    if k in {"member", "members", "entity", "role_entity"}
                )
                if any(m in text for m in _PUBLIC_MEMBERS):
                    j.problems.append(f"{res.address} grants {text[:80]}")
        return j
    if store.type == "azurerm_storage_account":
        nested = body.get("allow_nested_items_to_be_public", body.get("allow_blob_public_access"))
        if is_false(nested):
            j.evidence.append("allow_nested_items_to_be_public = false")
        elif expression(nested):
            j.unknown.append("allow_nested_items_to_be_public is an expression")
        else:
            j.problems.append(
                "allow_nested_items_to_be_public is not false (azurerm 3.x allows public "
                "containers by default)"
            )
        for res in inventory.resources("azurerm_storage_container"):
            target = set(references(res.body, "azurerm_storage_account"))
            if (
                store.name in target
                and str(res.body.get("container_access_type", "private")) != "private"
            ):
                j.problems.append(
                    f"{res.address} container_access_type = {res.body.get('container_access_type')}"
                )
        return j
    if store.type == "aws_ecrpublic_repository":
        j.problems.append("a public ECR repository is readable by anyone")
        return j
    if store.type == "aws_ecr_repository":
        policies = _companions(inventory, store, "aws_ecr_repository_policy", "repository", "name")
        for pol in policies:
            _policy_public(pol.body.get("policy"), inventory, j, pol.address)
        j.evidence.append(
            "private repository"
            + (
                f"; {len(policies)} repository polic(ies) name no public principal"
                if policies
                else ""
            )
        )
        return j
    if store.type in {"aws_db_instance", "aws_rds_cluster", "aws_redshift_cluster"}:
        flag = body.get("publicly_accessible")
        if truthy(flag):
            j.problems.append("publicly_accessible = true")
        elif expression(flag):
            j.unknown.append("publicly_accessible is an expression")
        elif store.type == "aws_redshift_cluster" and not is_false(flag):
            j.problems.append(
                "publicly_accessible is not set to false (older providers default to true)"
            )
        else:
            j.evidence.append("not publicly accessible")
        return j
    if store.type == "google_sql_database_instance":
        ip = [c for s in block(body, "settings") for c in block(s, "ip_configuration")]
        nets = [n for c in ip for n in block(c, "authorized_networks")]
        open_nets = [
            str(n.get("value")) for n in nets if str(n.get("value")) in {"0.0.0.0/0", "::/0"}
        ]
        if open_nets:
            j.problems.append(f"authorized network {open_nets[0]} admits the internet")
        else:
            j.evidence.append("no internet-wide authorized network")
        return j
    if store.type == "google_bigquery_dataset":
        access = block(body, "access")
        special = [str(a.get("special_group", "")) for a in access] + [
            str(a.get("iam_member", "")) for a in access
        ]
        if any(m in s for s in special for m in (*_PUBLIC_MEMBERS, "allAuthenticatedUsers")):
            j.problems.append("dataset access grants allUsers/allAuthenticatedUsers")
        else:
            j.evidence.append("no public dataset access entry")
        return j
    # Volumes, file systems, DynamoDB, feature stores: reachable only through IAM/VPC.
    j.evidence.append(f"{store.kind.replace('_', ' ')} with no public access mechanism")
    return j


def _cfn_public(store: Store, inventory: Inventory, j: Judgement) -> Judgement:
    body = store.body
    if store.type == "AWS::S3::Bucket":
        pab = body.get("PublicAccessBlockConfiguration")
        if pab is None:
            j.problems.append("no PublicAccessBlockConfiguration")
        elif _flags(pab, _CFN_PAB_FLAGS, j, "PublicAccessBlockConfiguration"):
            j.evidence.append("PublicAccessBlockConfiguration blocks public ACLs and policies")
        if str(body.get("AccessControl", "")) in _CFN_PUBLIC_ACLS:
            j.problems.append(f"AccessControl {body.get('AccessControl')}")
        for pol in inventory.cfn("AWS::S3::BucketPolicy"):
            props = pol.properties
            if pol.path == store.path and mapping(props.get("Bucket")).get("Ref") == store.name:
                _policy_public(props.get("PolicyDocument"), inventory, j, pol.logical_id)
        return j
    if store.type in {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}:
        if truthy(body.get("PubliclyAccessible")):
            j.problems.append("PubliclyAccessible: true")
        else:
            j.evidence.append("not publicly accessible")
        return j
    j.evidence.append(f"{store.kind.replace('_', ' ')} with no public access mechanism")
    return j


@check(
    id="MLC800",
    title="Buckets, volumes, databases and registries in IaC block public access",
    requirements=["M9.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Add aws_s3_bucket_public_access_block (all four flags true) or an account-level "
    'block; set public_access_prevention = "enforced" on GCS buckets and '
    "allow_nested_items_to_be_public = false on Azure storage accounts; never grant allUsers, "
    "principal '*' or a public canned ACL; keep databases publicly_accessible = false.",
)
def stores_block_public_access(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every ML storage location declared in Terraform or CloudFormation blocks public access.

    S3 buckets need a public access block with all four flags (or an account-level one) and no
    public ACL or policy; GCS buckets enforce public access prevention and grant nothing to
    allUsers; Azure storage accounts disallow public containers; ECR policies name no ``*``
    principal; databases are not publicly accessible.
    """
    yield from _judge_all(project, "public access", _public_access)


# ---------------------------------------------------------------- encryption at rest (M9.2.5)

# Encrypted by the provider whatever the configuration says (documented provider behaviour).
_ALWAYS_ENCRYPTED = {
    "aws_s3_bucket": "S3 encrypts every object with SSE-S3 at least (default since 2023-01-05)",
    "AWS::S3::Bucket": "S3 encrypts every object with SSE-S3 at least (default since 2023-01-05)",
    "aws_dynamodb_table": "DynamoDB always encrypts tables at rest",
    "AWS::DynamoDB::Table": "DynamoDB always encrypts tables at rest",
    "aws_ecr_repository": "ECR always encrypts images (AES-256 or KMS)",
    "AWS::ECR::Repository": "ECR always encrypts images (AES-256 or KMS)",
    "aws_ecrpublic_repository": "ECR always encrypts images",
    "aws_sagemaker_feature_group": "the offline store is S3 (always encrypted); online store "
    "encrypted by SageMaker",
    "AWS::SageMaker::FeatureGroup": "offline store in S3 (always encrypted)",
    "google_storage_bucket": "Google Cloud encrypts all data at rest",
    "google_sql_database_instance": "Google Cloud encrypts all data at rest",
    "google_bigquery_dataset": "Google Cloud encrypts all data at rest",
    "google_artifact_registry_repository": "Google Cloud encrypts all data at rest",
    "google_vertex_ai_featurestore": "Google Cloud encrypts all data at rest",
    "google_vertex_ai_dataset": "Google Cloud encrypts all data at rest",
    "azurerm_storage_account": "Azure Storage encryption cannot be disabled",
}
# Resource type -> the attribute path (nested blocks first) that must be true.
_ENCRYPTION_FLAG: dict[str, tuple[str, ...]] = {
    "aws_ebs_volume": ("encrypted",),
    "aws_efs_file_system": ("encrypted",),
    "aws_db_instance": ("storage_encrypted",),
    "aws_rds_cluster": ("storage_encrypted",),
    "aws_elasticache_replication_group": ("at_rest_encryption_enabled",),
    "aws_redshift_cluster": ("encrypted",),
    "aws_opensearch_domain": ("encrypt_at_rest", "enabled"),
    "AWS::EC2::Volume": ("Encrypted",),
    "AWS::EFS::FileSystem": ("Encrypted",),
    "AWS::RDS::DBInstance": ("StorageEncrypted",),
    "AWS::RDS::DBCluster": ("StorageEncrypted",),
}


def _lookup(body: object, path: tuple[str, ...]) -> object:
    value: object = body
    for key in path:
        if isinstance(value, list):
            value = value[0] if value else None
        value = mapping(value).get(key)
    return value


def _encryption(store: Store, inventory: Inventory) -> Judgement:
    j = Judgement()
    if store.type in _ALWAYS_ENCRYPTED:
        j.evidence.append(_ALWAYS_ENCRYPTED[store.type])
        return j
    path = _ENCRYPTION_FLAG.get(store.type)
    if path is None:  # FSx for Lustre: always encrypted at rest
        j.evidence.append("encrypted at rest by the service")
        return j
    value = _lookup(store.body, path)
    if store.type == "aws_ebs_volume" and not truthy(value):
        default = [
            b
            for b in inventory.resources("aws_ebs_encryption_by_default")
            if truthy(b.body.get("enabled", True))
        ]
        if default:
            j.evidence.append(f"account default EBS encryption ({default[0].address})")
            return j
    if truthy(value):
        j.evidence.append(f"{'.'.join(path)} = true")
    elif expression(value):
        j.unknown.append(f"{'.'.join(path)} is an expression")
    else:
        j.problems.append(
            f"{'.'.join(path)} is {'false' if is_false(value) else 'not set'}: stored unencrypted"
        )
    return j


@check(
    id="MLC801",
    title="Buckets, volumes and databases in IaC are encrypted at rest",
    requirements=["M9.2.5"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Set encrypted = true on EBS volumes and EFS file systems (or enable "
    "aws_ebs_encryption_by_default), storage_encrypted = true on RDS, "
    "at_rest_encryption_enabled on ElastiCache, encrypt_at_rest on OpenSearch.",
)
def stores_encrypted_at_rest(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every ML storage location declared in IaC or Kubernetes is encrypted at rest.

    Services that always encrypt (S3 since 2023, DynamoDB, ECR, Google Cloud, Azure Storage)
    pass with that fact; volumes, file systems and databases whose encryption is optional must
    enable it explicitly. Kubernetes PersistentVolumeClaims (and StatefulSet claim templates)
    are judged by their StorageClass: EBS CSI needs ``encrypted: "true"``; GKE and Azure disks
    are always encrypted; a class that is not in the project cannot be judged.
    """
    iac = load(project, IAC)
    kube = load(project, (Source.KUBERNETES,))
    claims = _claims(kube)
    if iac.files or not claims:
        outcomes = list(_judge_all(project, "encryption at rest", _encryption))
        if claims:  # the volumes below are storage too: IaC alone is not "no storage"
            outcomes = [o for o in outcomes if o.status.value != "not_applicable"]
        yield from outcomes
    if claims:
        yield from unread_outcomes(kube, "volume encryption")
        yield from _claim_encryption(kube, claims)


_ALWAYS_ENCRYPTED_PROVISIONERS = {
    "pd.csi.storage.gke.io": "Google Cloud encrypts persistent disks",
    "kubernetes.io/gce-pd": "Google Cloud encrypts persistent disks",
    "disk.csi.azure.com": "Azure managed disks are always encrypted",
    "kubernetes.io/azure-disk": "Azure managed disks are always encrypted",
    "file.csi.azure.com": "Azure Files is always encrypted",
}
_EBS_PROVISIONERS = frozenset({"ebs.csi.aws.com", "kubernetes.io/aws-ebs"})


def _claims(inventory: Inventory) -> list[tuple[str, str]]:
    """(claim reference, storage class name or '') for every PVC and claim template."""
    out = []
    for pvc in inventory.objects("PersistentVolumeClaim"):
        spec = mapping(pvc.doc.get("spec"))
        out.append((pvc.ref, str(spec.get("storageClassName") or "")))
    for sts in inventory.objects("StatefulSet"):
        for template in items(mapping(sts.doc.get("spec")).get("volumeClaimTemplates")):
            body = mapping(template)
            name = str(mapping(body.get("metadata")).get("name", "?"))
            klass = str(mapping(body.get("spec")).get("storageClassName") or "")
            out.append((f"{sts.ref} claim {name}", klass))
    return out


def _claim_encryption(inventory: Inventory, claims: list[tuple[str, str]]) -> Iterator[Outcome]:
    classes = {o.name: o for o in inventory.objects("StorageClass")}
    default = [
        o
        for o in classes.values()
        if str(
            mapping(mapping(o.doc.get("metadata")).get("annotations")).get(
                "storageclass.kubernetes.io/is-default-class", ""
            )
        ).lower()
        == "true"
    ]
    for ref, name in claims:
        klass = classes.get(name) if name else (default[0] if default else None)
        if klass is None:
            what = f"StorageClass {name}" if name else "the cluster's default StorageClass"
            yield not_verified(
                f"{ref}: {what} is not in the project, so its encryption is unknown",
                Gap(item=ref, reason=GapReason.NOT_PRESENT, detail=f"{what} not declared"),
                key=ref,
            )
            continue
        provisioner = str(klass.doc.get("provisioner", ""))
        parameters = mapping(klass.doc.get("parameters"))
        if provisioner in _ALWAYS_ENCRYPTED_PROVISIONERS:
            yield passed(
                f"{ref}: {klass.name}: {_ALWAYS_ENCRYPTED_PROVISIONERS[provisioner]}", key=ref
            )
        elif provisioner in _EBS_PROVISIONERS:
            if truthy(parameters.get("encrypted")):
                yield passed(f"{ref}: StorageClass {klass.name} sets encrypted: true", key=ref)
            else:
                yield failed(
                    f"{ref}: StorageClass {klass.name} ({provisioner}) does not set "
                    'encrypted: "true"',
                    key=ref,
                )
        else:
            yield not_verified(
                f"{ref}: provisioner {provisioner or '?'} of StorageClass {klass.name}: "
                "encryption at rest cannot be read from the class",
                Gap(item=ref, reason=GapReason.UNSUPPORTED, detail=f"provisioner {provisioner}"),
                key=ref,
            )


# ---------------------------------------------------------------- managed keys (M8.5.3)

_WEIGHT_KINDS = frozenset({"object_store", "registry", "volume", "file_system"})


def _kms_key(value: object, j: Judgement, inventory: Inventory, where: str) -> None:
    if value in (None, ""):
        j.problems.append(f"{where}: no customer-managed KMS key")
        return
    keys = references(value, "aws_kms_key") | references(value, "google_kms_crypto_key")
    keys |= references(value, "azurerm_key_vault_key")
    j.evidence.append(f"{where}: key {str(value)[:120]}")
    for key in inventory.resources("aws_kms_key"):
        if key.name not in keys:
            continue
        if "policy" in key.body:
            _policy_public(key.body["policy"], inventory, j, f"{key.address} key policy")
        if not truthy(key.body.get("enable_key_rotation")):
            j.problems.append(f"{key.address} has no automatic key rotation")


def _managed_keys(store: Store, inventory: Inventory) -> Judgement | None:
    j = Judgement()
    body = store.body
    if store.cloudformation:
        if store.type == "AWS::S3::Bucket":
            rules = items(
                mapping(body.get("BucketEncryption")).get("ServerSideEncryptionConfiguration")
            )
            default = [mapping(mapping(r).get("ServerSideEncryptionByDefault")) for r in rules]
            kms = [d for d in default if str(d.get("SSEAlgorithm", "")).startswith("aws:kms")]
            _kms_key(
                kms[0].get("KMSMasterKeyID") if kms else None, j, inventory, "BucketEncryption"
            )
            return j
        if store.type in {"AWS::EC2::Volume", "AWS::EFS::FileSystem"}:
            _kms_key(body.get("KmsKeyId"), j, inventory, "KmsKeyId")
            return j
        if store.type == "AWS::ECR::Repository":
            enc = mapping(body.get("EncryptionConfiguration"))
            _kms_key(
                enc.get("KmsKey") if enc.get("EncryptionType") == "KMS" else None,
                j,
                inventory,
                "EncryptionConfiguration",
            )
            return j
        return None
    if store.type == "aws_s3_bucket":
        configs = _companions(
            inventory,
            store,
            "aws_s3_bucket_server_side_encryption_configuration",
            "bucket",
            "bucket",
        )
        defaults = [
            d
            for c in configs
            for r in block(c.body, "rule")
            for d in block(r, "apply_server_side_encryption_by_default")
        ]
        legacy = [
            d
            for c in block(body, "server_side_encryption_configuration")
            for r in block(c, "rule")
            for d in block(r, "apply_server_side_encryption_by_default")
        ]
        kms = [
            d for d in defaults + legacy if str(d.get("sse_algorithm", "")).startswith("aws:kms")
        ]
        _kms_key(
            kms[0].get("kms_master_key_id") if kms else None, j, inventory, "default encryption"
        )
        return j
    if store.type in {"aws_ebs_volume", "aws_efs_file_system"}:
        _kms_key(body.get("kms_key_id"), j, inventory, "kms_key_id")
        return j
    if store.type == "aws_ecr_repository":
        ecr = block(body, "encryption_configuration")
        ecr_kms = [e for e in ecr if e.get("encryption_type") == "KMS"]
        _kms_key(
            ecr_kms[0].get("kms_key") if ecr_kms else None, j, inventory, "encryption_configuration"
        )
        return j
    if store.type == "google_storage_bucket":
        gcs = block(body, "encryption")
        _kms_key(gcs[0].get("default_kms_key_name") if gcs else None, j, inventory, "encryption")
        return j
    if store.type == "google_artifact_registry_repository":
        _kms_key(body.get("kms_key_name"), j, inventory, "kms_key_name")
        return j
    if store.type == "azurerm_storage_account":
        cmk = block(body, "customer_managed_key") or [
            c.body
            for c in inventory.resources("azurerm_storage_account_customer_managed_key")
            if store.name in references(c.body.get("storage_account_id"), "azurerm_storage_account")
        ]
        _kms_key(
            cmk[0].get("key_vault_key_id") if cmk else None, j, inventory, "customer-managed key"
        )
        return j
    if store.kind in _WEIGHT_KINDS:
        return None
    return None


@check(
    id="MLC802",
    title="Weight locations are encrypted with customer-managed KMS keys",
    requirements=["M8.5.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Encrypt buckets, registries and volumes that hold weights with a customer-"
    "managed key (aws:kms + kms_master_key_id, ECR encryption_type KMS, GCS "
    "default_kms_key_name, Azure customer_managed_key); enable rotation; keep '*' out of the "
    "key policy.",
)
def weights_encrypted_with_managed_keys(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Object stores, registries and volumes that can hold weights use customer-managed keys.

    Covers the configuration clause of M8.5.3 (KMS-backed encryption of weight locations; a key
    policy with no ``*`` principal, rotation on). That key use is limited to the serving and
    pipeline identities needs the hybrid requirement's attestation (IAM analysis of the key's
    grants outside IaC).
    """
    yield from _judge_all(project, "managed-key encryption", _managed_keys, kinds=_WEIGHT_KINDS)


# ---------------------------------------------------------------- access logging (M8.5.8, M2.2.5)


def _direction_ok(value: object, direction: str) -> bool:
    """Whether a trail's ``read_write_type`` records ``direction`` (``read`` or ``write``)."""
    kind = str(value or "All")
    return kind == "All" or kind == ("ReadOnly" if direction == "read" else "WriteOnly")


def _trail_covers(inventory: Inventory, store: Store, direction: str) -> str:
    """The CloudTrail trail whose S3 object data events in ``direction`` cover ``store``."""
    for trail in inventory.resources("aws_cloudtrail"):
        body = trail.body
        for selector in block(body, "event_selector"):
            if not _direction_ok(selector.get("read_write_type"), direction):
                continue
            for resource in block(selector, "data_resource"):
                if resource.get("type") != "AWS::S3::Object":
                    continue
                values = [str(v) for v in items(resource.get("values"))]
                if any(
                    v.rstrip("/") in {"arn:aws:s3", "arn:aws:s3:::"} for v in values
                ) or store.name in references(values, "aws_s3_bucket"):
                    return trail.address
        for selector in block(body, "advanced_event_selector"):
            fields = {str(f.get("field")): f for f in block(selector, "field_selector")}
            category = [str(v) for v in items(fields.get("eventCategory", {}).get("equals"))]
            types = [str(v) for v in items(fields.get("resources.type", {}).get("equals"))]
            read_only = [str(v) for v in items(fields.get("readOnly", {}).get("equals"))]
            if read_only == ["true" if direction == "write" else "false"]:
                continue
            if "Data" in category and "AWS::S3::Object" in types:
                arns = fields.get("resources.ARN")
                if arns is None or store.name in references(arns, "aws_s3_bucket"):
                    return trail.address
    return ""


def _management_reads(inventory: Inventory) -> str:
    """A trail recording read management events (ECR BatchGetImage / layer downloads)."""
    for trail in inventory.resources("aws_cloudtrail"):
        selectors = block(trail.body, "event_selector")
        if not selectors and not block(trail.body, "advanced_event_selector"):
            return trail.address
        for selector in selectors:
            if selector.get("include_management_events", True) is not False and _direction_ok(
                selector.get("read_write_type"), "read"
            ):
                return trail.address
    return ""


def _log_targets(inventory: Inventory) -> set[str]:
    """Buckets that receive logs (their own access is the logging system's business)."""
    out: set[str] = set()
    for res in inventory.resources("aws_s3_bucket_logging"):
        out |= references(res.body.get("target_bucket"), "aws_s3_bucket")
    for trail in inventory.resources("aws_cloudtrail"):
        out |= references(trail.body.get("s3_bucket_name"), "aws_s3_bucket")
    return out


def _access_logging(store: Store, inventory: Inventory, direction: str) -> Judgement | None:
    j = Judgement()
    if store.cloudformation:
        if store.type != "AWS::S3::Bucket":
            return None
        if store.body.get("LoggingConfiguration"):
            j.evidence.append("LoggingConfiguration (server access logs)")
        else:
            trails = [
                t
                for t in inventory.cfn("AWS::CloudTrail::Trail")
                if any(
                    mapping(d).get("Type") == "AWS::S3::Object"
                    for s in items(t.properties.get("EventSelectors"))
                    for d in items(mapping(s).get("DataResources"))
                )
            ]
            if trails:
                j.evidence.append(f"CloudTrail {trails[0].logical_id} logs S3 object data events")
            else:
                j.problems.append("no LoggingConfiguration and no CloudTrail S3 data events")
        return j
    if store.type == "aws_s3_bucket":
        if store.name in _log_targets(inventory):
            return None
        logging = _companions(inventory, store, "aws_s3_bucket_logging", "bucket", "bucket")
        trail = _trail_covers(inventory, store, direction)
        if logging:
            j.evidence.append(f"server access logging ({logging[0].address})")
        elif block(store.body, "logging"):
            j.evidence.append("server access logging (logging block)")
        if trail:
            j.evidence.append(f"CloudTrail object data events ({trail})")
        if not j.evidence:
            j.problems.append("no server access logging and no CloudTrail S3 data events")
        return j
    if store.type == "aws_ecr_repository" and direction == "read":
        trail = _management_reads(inventory)
        if trail:
            j.evidence.append(f"image pulls recorded by {trail} (management read events)")
        else:
            j.problems.append("no CloudTrail trail records its image pulls")
        return j
    if store.type == "google_storage_bucket":
        audit = [
            a
            for a in inventory.resources(
                "google_project_iam_audit_config",
                "google_organization_iam_audit_config",
                "google_folder_iam_audit_config",
            )
            if a.body.get("service") in {"storage.googleapis.com", "allServices"}
            and {"DATA_READ", "DATA_WRITE"}
            <= {str(c.get("log_type")) for c in block(a.body, "audit_log_config")}
        ]
        if audit:
            j.evidence.append(f"Data Access audit logs ({audit[0].address})")
        else:
            j.problems.append(
                "no Data Access audit logs "
                f"({'DATA_READ' if direction == 'read' else 'DATA_WRITE'}) for "
                "storage.googleapis.com"
            )
        return j
    if store.type == "azurerm_storage_account":
        settings = [
            d
            for d in inventory.resources("azurerm_monitor_diagnostic_setting")
            if store.name in references(d.body.get("target_resource_id"), "azurerm_storage_account")
            and {"StorageRead", "StorageWrite"}
            <= {str(e.get("category")) for e in block(d.body, "enabled_log")}
        ]
        if settings:
            j.evidence.append(
                f"diagnostic setting {settings[0].address} logs StorageRead/StorageWrite"
            )
        else:
            j.problems.append("no diagnostic setting logging StorageRead and StorageWrite")
        return j
    return None


def _logging_outcomes(
    project: Project, what: str, direction: str, kinds: frozenset[str], sample: str
) -> Iterator[Outcome]:
    outcomes = list(
        _judge_all(
            project,
            what,
            lambda store, inventory: _access_logging(store, inventory, direction),
            kinds=kinds,
        )
    )
    yield from outcomes
    statuses = {o.status.value for o in outcomes}
    if "pass" in statuses and "fail" not in statuses:
        yield not_verified(
            f"logging is configured; that sampled {sample} appear in the log with their "
            "principal needs a log sample (not read by this check)",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no access-log sample"),
            key="log-sample",
        )


@check(
    id="MLC803",
    title="Access to model weight locations is logged with the principal",
    requirements=["M8.5.8"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Record reads of weight buckets with CloudTrail S3 data events (or server "
    "access logging) and image pulls with CloudTrail management events; GCP: DATA_READ audit "
    "logs for storage.googleapis.com; Azure: a diagnostic setting with StorageRead.",
)
def weight_access_logged(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every bucket and image repository that can hold weights logs each access with its
    principal.

    This checks the configuration clause; the second clause (sampled accesses appear in the
    log with their principal) needs a log sample, so a correct configuration leaves M8.5.8 not
    verified rather than passed until log evidence is supplied.
    """
    yield from _logging_outcomes(
        project,
        "weight access logging",
        "read",
        frozenset({"object_store", "registry"}),
        "accesses",
    )


@check(
    id="MLC804",
    title="Object-level writes to data buckets are logged with the principal",
    requirements=["M2.2.5"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Enable CloudTrail S3 data events for writes (or server access logging) on "
    "every data bucket; GCP: DATA_WRITE audit logs for storage.googleapis.com; Azure: a "
    "diagnostic setting with StorageWrite.",
)
def data_writes_logged(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every bucket declared in IaC logs object-level writes with the writing principal.

    This checks the configuration clause; a sampled write with its principal needs a log
    sample, so a correct configuration leaves M2.2.5 not verified until one is supplied.
    """
    yield from _logging_outcomes(
        project, "data write logging", "write", frozenset({"object_store"}), "writes"
    )
