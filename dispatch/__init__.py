"""Routing rules, working-time deadlines (SLA), escalation and the dispatch use cases."""
