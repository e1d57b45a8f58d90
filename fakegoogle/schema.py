"""Checks the fake's answers against Google's own discovery documents (Sheets v4, Drive v3).

The documents ship inside google-api-python-client (a dev dependency). The method is found in
the document from the HTTP verb and path, as Google routes it; its response schema is then
walked, following ``$ref``: no field the schema does not declare, JSON types as Google encodes
them (int64 as a string), enum values where the schema lists them.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

DOCUMENTS = {"sheets": "sheets.v4.json", "drive": "drive.v3.json"}
_PARAM = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Method:
    id: str
    verb: str
    pattern: re.Pattern[str]
    literal: int  # characters outside {params}: the most specific template wins
    response: str | None  # schema name; None when Google answers with an empty body


@dataclass(frozen=True)
class Discovery:
    schemas: dict[str, Any]
    methods: tuple[Method, ...]

    def method(self, verb: str, path: str) -> Method | None:
        found = [m for m in self.methods if m.verb == verb and m.pattern.fullmatch(path)]
        return max(found, key=lambda m: m.literal, default=None)


def _methods(resources: dict[str, Any], service_path: str) -> list[Method]:
    out = []
    for resource in resources.values():
        for m in resource.get("methods", {}).values():
            template = "/" + service_path + m.get("flatPath", m["path"])
            parts = _PARAM.split(template)
            pattern = re.compile("[^/]+".join(re.escape(p) for p in parts))
            out.append(Method(m["id"], m["httpMethod"], pattern, sum(map(len, parts)),
                              m.get("response", {}).get("$ref")))
        out += _methods(resource.get("resources", {}), service_path)
    return out


@functools.cache
def discovery(api: str) -> Discovery:
    text = (files("googleapiclient.discovery_cache") / "documents" / DOCUMENTS[api]).read_text(
        encoding="utf-8")
    doc = json.loads(text)
    return Discovery(doc["schemas"], tuple(_methods(doc["resources"], doc["servicePath"])))


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "integer": (int,), "number": (int, float),
    "array": (list,), "object": (dict,)}


def violations(schemas: dict[str, Any], schema: dict[str, Any], value: Any,
               where: str) -> list[str]:
    """What in ``value`` a response of ``schema`` may not hold, one line per problem."""
    if "$ref" in schema:
        return violations(schemas, schemas[schema["$ref"]], value, where)
    kind = schema.get("type", "any")
    if kind == "any":
        return []
    allowed = _JSON_TYPES[kind]
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        return [f"{where}: {kind} expected, got {type(value).__name__} {value!r:.60}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {kind} enum {schema['enum']}"]
    if kind == "array":
        return [v for i, item in enumerate(value)
                for v in violations(schemas, schema["items"], item, f"{where}[{i}]")]
    if kind == "object":
        return _object_violations(schemas, schema, value, where)
    return []


def _object_violations(schemas: dict[str, Any], schema: dict[str, Any], value: dict[str, Any],
                       where: str) -> list[str]:
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    out = []
    for key, item in value.items():
        sub = props.get(key, extra) if props is not None else extra
        if sub is None:
            if props is not None:
                out.append(f"{where}.{key}: no such field in {schema.get('id', 'the schema')}")
            continue
        out += violations(schemas, sub, item, f"{where}.{key}")
    return out


@dataclass
class Conformance:
    """Counts the responses checked and keeps what did not conform."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    by_method: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, api: str, verb: str, path: str, payload: Any) -> None:
        """One successful response of ``api`` (sheets or drive) to ``verb path``."""
        doc = discovery(api)
        method = doc.method(verb, path)
        if method is None:
            found = [f"{verb} {path}: no such method in {DOCUMENTS[api]}"]
        elif method.response is None:
            found = [] if payload is None else [f"{method.id}: Google answers with no body"]
        else:
            found = violations(doc.schemas, {"$ref": method.response}, payload,
                               f"{method.id}:{method.response}")
        with self.lock:
            self.checked += 1
            name = method.id if method else f"{verb} {path}"
            self.by_method[name] = self.by_method.get(name, 0) + 1
            self.problems += found
