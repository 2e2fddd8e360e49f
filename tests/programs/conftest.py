"""Registers the ``program(name)`` marker of the compatibility suite."""


def pytest_configure(config):
    config.addinivalue_line("markers",
                            "program(name): a published program run unchanged on Ember")
