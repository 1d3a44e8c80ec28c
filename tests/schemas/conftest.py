"""Hypothesis profile for the schema property tests.

The suite-wide profile (tests/conftest.py, ``HYPOTHESIS_PROFILE``) stays in charge of the whole
session; this folder derives its own "schemas" profile from it so that its properties get a few
more examples than the CI default (the models are cheap) while ``thorough`` still means more.
Tests apply it with ``@settings(settings.get_profile("schemas"))``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "schemas",
    parent=settings.default,
    max_examples=max(50, settings.default.max_examples),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
