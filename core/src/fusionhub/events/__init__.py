"""Platform events: webhook intake with duplicate drop, and polling for platforms without webhooks."""

from fusionhub.events.service import EventService, Ingested, polling_interval, polls_events

__all__ = ["EventService", "Ingested", "polling_interval", "polls_events"]
