"""``python -m kpay`` runs the ``kpay`` command."""

from kpay.cli import main

main()
