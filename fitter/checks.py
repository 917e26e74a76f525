"""Checks of a configuration that its models alone cannot make."""

from __future__ import annotations

from fitter.config import Config, ConfigError
from fitter.dialects.native import preset_problems


def check_config(config: Config) -> None:
    """What the models alone cannot see: presets are checked by the grammar that reads them,
    and a setting whose feature this version lacks is refused rather than ignored."""
    problems = preset_problems(config.options.presets)
    if config.security.key:
        problems.append("security.key: signed URLs are not supported by this version yet")
    if problems:
        raise ConfigError(problems)
