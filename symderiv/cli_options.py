"""The convention options of every command (``derive``, ``check``, ``report``, ``codegen``), built
from the one table :data:`symderiv.convention_table.CONVENTION_OPTIONS`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click

from .convention_table import CONVENTION_OPTIONS


def convention_options(
    *, skip: tuple[str, ...] = (), overrides: Mapping[str, Mapping[str, object]] | None = None
) -> Callable:
    """A decorator adding ``--layout``, ``--regularizer``, ``--reduction``, ``--bias``, ``--delta``,
    ``--kink`` and ``--hyper`` to a click command, except those in ``skip``; ``overrides`` changes a click
    setting of one option (e.g. ``{"delta": {"default": "1"}}``)."""
    overrides = overrides or {}

    def decorate(command: Callable) -> Callable:
        for spec in reversed(CONVENTION_OPTIONS):  # click applies decorators bottom-up
            if spec.name in skip:
                continue
            settings: dict[str, Any] = {"help": spec.help}
            if spec.flag:
                settings["is_flag"] = True
            elif spec.multiple:
                settings["multiple"] = True
            else:
                settings["default"] = spec.default
                settings["show_default"] = spec.default not in (None, ())
                if spec.choices is not None:
                    settings["type"] = click.Choice(list(spec.choices))
            settings.update(overrides.get(spec.name, {}))
            command = click.option(f"--{spec.name}", spec.name, **settings)(command)
        return command

    return decorate
