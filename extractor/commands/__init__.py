"""Workflows built on top of the stages (scan → contracts → graph → checks): ``init`` writes the
contract files a service's code implies. The command line (``cli.py``) parses options and calls
them; ``report/`` prints what they return."""
