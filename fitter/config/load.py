"""Loading the configuration: the file (or the embedded default), then the environment.

`FITTER_<SECTION>__<KEY>` environment variables override the file (values are read as
JSON when they parse, else as strings). Every problem is reported with its key path and
what was expected, all at once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from fitter.config.sections import Config

ENV_PREFIX = "FITTER_"
# Not a setting: the path of the file itself, for processes started by the server.
CONFIG_FILE_VARIABLE = "FITTER_CONFIG"
DEFAULT_FILE = Path("fitter.yaml")


EMBEDDED_DEFAULT: dict[str, Any] = {
    "storage": {
        "source": {"type": "fs", "location": "images"},
        "store": {"type": "fs", "location": "store"},
    },
}


class ConfigError(Exception):
    """Every problem of a configuration, each as `key.path: what was expected`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read `path` (else ./fitter.yaml, else the embedded default) and the environment."""
    return build_config(read_file(path), os.environ if environ is None else environ)


def read_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        if not DEFAULT_FILE.is_file():
            fresh: dict[str, Any] = json.loads(json.dumps(EMBEDDED_DEFAULT))
            return fresh
        path = DEFAULT_FILE
    try:
        data: object = yaml.safe_load(path.read_text()) or {}
    except OSError as error:
        raise ConfigError([f"{path}: cannot be read ({error.strerror})"]) from error
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}: is not valid YAML ({error})"]) from error
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: must be a mapping of settings"])
    return data


def build_config(data: dict[str, Any], environ: Mapping[str, str]) -> Config:
    data = apply_environment(data, environ)
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError([describe(e) for e in error.errors()]) from error


def environment_settings(environ: Mapping[str, str]) -> dict[tuple[str, ...], Any]:
    """The `FITTER_*` variables as key paths and values."""
    settings = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_FILE_VARIABLE:
            continue
        keys = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
        try:
            settings[keys] = json.loads(raw)
        except ValueError:
            settings[keys] = raw
    return settings


def apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    for keys, value in environment_settings(environ).items():
        if not is_known(keys):
            continue
        node = data
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = value
    return data


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """`FITTER_*` variables that name no setting: most likely a typo."""
    unknown = [k for k in environment_settings(environ) if not is_known(k)]
    return sorted(ENV_PREFIX + "__".join(k).upper() for k in unknown)


def is_known(keys: tuple[str, ...], model: type[BaseModel] = Config) -> bool:
    field = model.model_fields.get(keys[0])
    if field is None:
        return False
    if len(keys) == 1:
        return True
    annotation = field.annotation
    members = getattr(annotation, "__args__", (annotation,))
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            if is_known(keys[1:], member):
                return True
        elif getattr(member, "__origin__", None) is dict:
            return True
    return False


# The tags of the tagged unions: pydantic puts the chosen tag in an error's location.
TAGS = {"in-memory", "redis", "fs", "s3", "http"}
UNIONS = {"cache_store", "source", "store"}


def describe(error: Mapping[str, Any]) -> str:
    """One validation error as `key.path: what was expected (got …)`."""
    raw = [str(p) for p in error["loc"]]
    loc = [p for i, p in enumerate(raw) if not (i > 0 and p in TAGS and raw[i - 1] in UNIONS)]
    kind, ctx = error["type"], error.get("ctx", {})
    got = error.get("input")
    where = ".".join(loc) or "(top level)"
    if kind == "union_tag_invalid":
        tags = ctx["expected_tags"].replace("'", "")
        return f"{where}.type: must be one of {tags} (got {ctx['tag']!r})"
    if kind == "union_tag_not_found":
        return f"{where}.type: is required"
    if kind == "missing":
        return f"{where}: is required"
    if kind == "extra_forbidden":
        return f"{where}: is not a known setting"
    if kind == "string_pattern_mismatch":
        return f"{where}: must look like 200x300 (got {got!r})"
    if kind == "literal_error":
        return f"{where}: must be {ctx['expected']} (got {got!r})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{where}: must be a whole number (got {got!r})"
    if kind in ("bool_parsing", "bool_type"):
        return f"{where}: must be true or false (got {got!r})"
    if kind == "value_error":
        return f"{where}: {ctx['error']}"
    if kind in ("string_type",):
        return f"{where}: must be a string (got {got!r})"
    message = error["msg"][0].lower() + error["msg"][1:]
    return f"{where}: {message} (got {got!r})"


def masked(config: Config) -> dict[str, Any]:
    """The resolved configuration as plain data, with every secret hidden: the secret
    fields, and the password of any URL (a broker's `redis://:password@host`)."""
    data: dict[str, Any] = _without_passwords(config.model_dump(mode="json"))
    return data


# A URL's password: `scheme://user:password@`, or `?password=…` in its query.
URL_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^/@:]*):([^/@]*)@", re.IGNORECASE)
QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def _without_passwords(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_passwords(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_passwords(item) for item in value]
    if isinstance(value, str) and "://" in value:
        value = URL_PASSWORD.sub(r"\1:**********@", value)
        return QUERY_PASSWORD.sub(r"\1**********", value)
    return value
