"""Checks of a configuration that its models alone cannot make."""

from __future__ import annotations

from fitter.config import Config, ConfigError
from fitter.dialects.native import preset_problems


def check_config(config: Config) -> None:
    """What the models alone cannot see: presets are checked by the grammar that reads them."""
    problems = preset_problems(config.options.presets)
    if config.options.enable_upload and config.storage.originals.type == "http":
        problems.append("options.enable_upload: an http source cannot take uploads")
    if problems:
        raise ConfigError(problems)


def security_warnings(config: Config) -> list[str]:
    """What to say at start: settings that leave the server open to anyone's variants (fine
    locally), and settings that do nothing."""
    security = config.security
    warnings = []
    if config.secret_key is not None:
        warnings.append("secret_key is set but does nothing: signed URLs use security.key")
    if not security.key:
        return [
            *warnings,
            "security.key is not set: anyone can make this server generate any variant "
            "(set it to require signed URLs)",
        ]
    if security.allow_unsigned:
        warnings.append(
            "security.allow_unsigned is true: requests without sig are served "
            "(for local development only)"
        )
    if config.thumbor.allow_unsafe:
        warnings.append(
            "thumbor.allow_unsafe is true with a key set: /unsafe/ thumbor URLs are served unsigned"
        )
    if config.iiif.enabled:
        warnings.append(
            "iiif.enabled is true with a key set: /iiif/ URLs are served unsigned "
            "(any region and size of every source can be asked for)"
        )
    if config.options.console:
        warnings.append(
            "options.console is on with a key set: the console signs URLs for anyone who can "
            "reach it (turn it off, or keep it behind authentication, on a public server)"
        )
    return warnings
