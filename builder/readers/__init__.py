"""Readers: one module per kind of source, each turning the received bytes into what the editions show."""
