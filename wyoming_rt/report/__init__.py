"""The report: one data model (`Report`), built from results, and writers that read it."""

from wyoming_rt.report.model import Report, ServerReport, Summary, UtteranceReport

__all__ = ["Report", "ServerReport", "Summary", "UtteranceReport"]
