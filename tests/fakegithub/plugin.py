"""pytest plugin: fixtures for the fake GitHub and the strict contract check.

Enable with ``pytest_plugins = ["tests.fakegithub.plugin"]`` in the root
conftest (or ``-p tests.fakegithub.plugin``).

Fixtures
    fake_github           a started FakeGitHub for one test (stopped afterwards)
    fake_github_factory   call it to get more fakes in one test

Marker
    @pytest.mark.fake_github(strict=False, rate_limit=100, ...)
        keyword arguments for the FakeGitHub the fixtures create

After every test body, each live fake's contract record is checked: any
request the client sent that GitHub's OpenAPI description does not document
(or with a body it does not allow), and any answer of the fake that does not
match the description, fails the test with ContractViolation.  Tests that
provoke violations on purpose take them with ``fake.contract.take()``.
"""

from __future__ import annotations

import pytest

from .contract import ContractViolation
from .server import FakeGitHub, live_fakes


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fake_github(**kwargs): options for the FakeGitHub created by the fake_github fixtures",
    )


def _options(request) -> dict:
    m = request.node.get_closest_marker("fake_github")
    return dict(m.kwargs) if m else {}


@pytest.fixture
def fake_github_factory(request):
    made: list[FakeGitHub] = []
    defaults = _options(request)

    def make(**kwargs) -> FakeGitHub:
        fake = FakeGitHub(**{**defaults, **kwargs})
        made.append(fake)
        return fake

    yield make
    try:
        leftovers = [v for f in made if f.contract.strict for v in f.contract.take()]
        if leftovers:
            raise ContractViolation(
                "contract violations after the test body (e.g. during teardown):\n  "
                + "\n  ".join(str(v) for v in leftovers))
    finally:
        for f in made:
            f.stop()


@pytest.fixture
def fake_github(fake_github_factory) -> FakeGitHub:
    return fake_github_factory()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    __tracebackhide__ = True
    try:
        return (yield)
    finally:
        found = []
        for fake in live_fakes():
            if fake.contract.strict:
                found.extend(fake.contract.take())
        if found:
            from .contract import OpenAPIContract
            src = OpenAPIContract.load().source
            raise ContractViolation(
                f"{len(found)} contract violation(s) against GitHub's OpenAPI description "
                f"({src.get('package')}@{src.get('version')}):\n  "
                + "\n  ".join(str(v) for v in found))
