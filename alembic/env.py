"""Alembic environment: all logic lives in zora_db.migrations.run_env."""

from logging.config import fileConfig

from alembic import context
from zora_db.migrations import run_env

if context.config.config_file_name and context.config.attributes.get("configure_logger", True):
    fileConfig(context.config.config_file_name)

run_env(context)
