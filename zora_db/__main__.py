"""``python -m zora_db`` runs the CLI."""

from zora_db.cli import main

main()
