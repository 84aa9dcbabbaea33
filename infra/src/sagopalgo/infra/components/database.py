"""RDS MySQL 8: private, encrypted, backed up daily; Multi-AZ and deletion-protected in production."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.config import DatabaseSize
from sagopalgo.infra.tagging import Tagger

__all__ = ["DB_NAME", "DB_USER", "Database", "DatabaseArgs"]

DB_NAME = "sagopalgo"
DB_USER = "sagopalgo"


@dataclass(frozen=True)
class DatabaseArgs:
    size: DatabaseSize
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    password: pulumi.Input[str]
    production: bool
    tags: Tagger


class Database(pulumi.ComponentResource):
    instance: aws.rds.Instance
    url: pulumi.Output[str]
    """``SAGOPALGO_DATABASE_URL``: asyncmy to the instance, password included (so a secret)."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        subnets = aws.rds.SubnetGroup(
            name, subnet_ids=list(args.subnet_ids), tags=args.tags("db"), opts=child
        )
        production = args.production
        self.instance = aws.rds.Instance(
            name,
            engine="mysql",
            engine_version=args.size.engine_version,
            instance_class=args.size.instance_class,
            allocated_storage=args.size.storage_gb,
            max_allocated_storage=args.size.max_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=DB_NAME,
            username=DB_USER,
            password=args.password,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[args.security_group_id],
            publicly_accessible=False,
            multi_az=production,
            backup_retention_period=args.size.backup_days,
            backup_window="17:00-18:00",  # 02:00-03:00 in Korea, long after the day's close
            maintenance_window="sun:18:30-sun:19:30",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            deletion_protection=production,
            skip_final_snapshot=not production,
            final_snapshot_identifier=f"{args.tags.project}-{args.tags.stack}-final" if production else None,
            delete_automated_backups=not production,
            apply_immediately=not production,
            tags=args.tags("db"),
            opts=pulumi.ResourceOptions(parent=self, protect=production),
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.all(self.instance.address, args.password).apply(
                lambda v: f"mysql+asyncmy://{DB_USER}:{v[1]}@{v[0]}:3306/{DB_NAME}"
            )
        )
        self.register_outputs({"address": self.instance.address})
