"""The version of wyoming_rt (one place: the package, the reports and the reference servers read it)."""

__version__ = "0.1.0"
