"""The ML storage locations an inventory declares: buckets, volumes, databases, registries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.checks.platform._sources import Inventory


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    """One storage location declared in IaC."""

    address: str
    """``aws_s3_bucket.models`` or ``template.yaml: ModelBucket``."""
    type: str
    name: str
    """Terraform resource name or CloudFormation logical ID."""
    path: str
    body: Mapping[str, object]
    kind: str
    """``object_store``, ``volume``, ``file_system``, ``database``, ``registry``."""
    cloudformation: bool = False


TF_STORES: dict[str, str] = {
    "aws_s3_bucket": "object_store",
    "google_storage_bucket": "object_store",
    "azurerm_storage_account": "object_store",
    "aws_ebs_volume": "volume",
    "aws_efs_file_system": "file_system",
    "aws_fsx_lustre_file_system": "file_system",
    "aws_db_instance": "database",
    "aws_rds_cluster": "database",
    "aws_dynamodb_table": "database",
    "aws_elasticache_replication_group": "database",
    "aws_opensearch_domain": "database",
    "aws_redshift_cluster": "database",
    "google_sql_database_instance": "database",
    "google_bigquery_dataset": "database",
    "aws_ecr_repository": "registry",
    "aws_ecrpublic_repository": "registry",
    "google_artifact_registry_repository": "registry",
    "aws_sagemaker_feature_group": "feature_store",
    "google_vertex_ai_featurestore": "feature_store",
    "google_vertex_ai_dataset": "dataset",
}

CFN_STORES: dict[str, str] = {
    "AWS::S3::Bucket": "object_store",
    "AWS::EC2::Volume": "volume",
    "AWS::EFS::FileSystem": "file_system",
    "AWS::RDS::DBInstance": "database",
    "AWS::RDS::DBCluster": "database",
    "AWS::DynamoDB::Table": "database",
    "AWS::ECR::Repository": "registry",
    "AWS::SageMaker::FeatureGroup": "feature_store",
}


def stores(inventory: Inventory) -> tuple[Store, ...]:
    """Every storage location of the inventory, Terraform first, in file order."""
    found = [
        Store(
            address=b.address,
            type=b.type,
            name=b.name,
            path=b.path,
            body=b.body,
            kind=TF_STORES[b.type],
        )
        for b in inventory.resources(*TF_STORES)
    ]
    found += [
        Store(
            address=f"{r.path}: {r.logical_id}",
            type=r.type,
            name=r.logical_id,
            path=r.path,
            body=r.properties,
            kind=CFN_STORES[r.type],
            cloudformation=True,
        )
        for r in inventory.cfn(*CFN_STORES)
    ]
    return tuple(found)
