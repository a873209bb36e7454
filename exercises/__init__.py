"""Hotwash domain: scenarios, response plans, the journal and the exercise service."""
