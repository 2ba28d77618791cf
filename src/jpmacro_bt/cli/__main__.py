"""``python -m jpmacro_bt.cli``."""

from jpmacro_bt.cli.app import main

main()
