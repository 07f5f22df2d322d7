"""YAML post-mortems and YAML front matter -> :class:`RawDoc`, through a safe loader only.

The loader is PyYAML's safe loader (the C one when available) with YAML 1.1's
base-60 numbers turned off, so ``08:40`` or ``1:30`` stays the text the author
wrote instead of becoming 520 or 90. The loaded document's expanded size is
bounded before it is used, so a "billion laughs" file is refused instead of expanding.

PyYAML builds Python values from the parsed nodes in Python, node by node; the
loader here builds a plain document (mappings, lists, strings, scalars, no
aliases or merge keys) in one direct walk and hands anything else to PyYAML's
own construction, so the data, and any error, are PyYAML's either way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from pm_analytics.parse.raw import NESTED, RawDoc, yaml_line_finder

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_MERGE, _VALUE = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"
_MAX_PLAIN_DEPTH = 100


class _NotPlain(Exception):
    """A node the direct walk leaves to PyYAML's construction."""


class PostMortemLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe YAML loader without base-60 integers/floats."""

    def resolve(self, kind, value, implicit):
        """PyYAML's tag for a node, without trying the implicit resolvers on a plain scalar whose first
        character none of them is registered for (most keys and words: they are strings)."""
        if kind is ScalarNode and implicit[0] and value[:1] in _RESOLVER_FIRST_CHARS or not _SHORTCUT:
            return super().resolve(kind, value, implicit)
        return _DEFAULT_TAGS.get(kind)

    def construct_document(self, node):
        try:
            data = self._plain(node, set(), 0)
        except Exception:  # noqa: BLE001 - whatever it was, PyYAML's construction gives its own data or error
            self.constructed_objects, self.recursive_objects, self.state_generators = {}, {}, []
            self.deep_construct = False
            return super().construct_document(node)
        self.constructed_objects = {}
        return data

    def _plain(self, node, seen: set, depth: int) -> Any:
        """The value of a node with no aliases, merge keys or unusual tags below it (else ``_NotPlain``)."""
        if node in seen or depth > _MAX_PLAIN_DEPTH:
            raise _NotPlain
        seen.add(node)
        kind, tag = type(node), node.tag
        if kind is ScalarNode:
            return node.value if tag == _STR else self.construct_object(node)
        if kind is MappingNode and tag == _MAP:
            data = {}
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode or key_node.tag in (_MERGE, _VALUE):
                    raise _NotPlain
                key = self._plain(key_node, seen, depth + 1)
                data[key] = self._plain(value_node, seen, depth + 1)
            return data
        if kind is SequenceNode and tag == _SEQ:
            return [self._plain(child, seen, depth + 1) for child in node.value]
        raise _NotPlain


PostMortemLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PostMortemLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
PostMortemLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


_RESOLVER_FIRST_CHARS = frozenset(PostMortemLoader.yaml_implicit_resolvers)
# Without resolvers for any first character (None) or for paths, a node's tag follows from the above.
_SHORTCUT = None not in _RESOLVER_FIRST_CHARS and not PostMortemLoader.yaml_path_resolvers
_DEFAULT_TAGS = {ScalarNode: PostMortemLoader.DEFAULT_SCALAR_TAG, SequenceNode: PostMortemLoader.DEFAULT_SEQUENCE_TAG,
                 MappingNode: PostMortemLoader.DEFAULT_MAPPING_TAG}


MAX_NODES = 50_000

# Keys a YAML post-mortem may use, with the spellings people also write.
KEY_ALIASES = {
    "incident_id": "id",
    "name": "title",
    "authors": "author",
    "sev": "severity",
    "tz": "timezone",
    "time_zone": "timezone",
    "incident_date": "date",
    "summary": "impact_summary",
    "impact": "impact_summary",
    "start": "started_at",
    "started": "started_at",
    "start_time": "started_at",
    "start_date": "started_at",
    "incident_start": "started_at",
    "impact_start": "started_at",
    "began_at": "started_at",
    "resolved": "resolved_at",
    "ended_at": "resolved_at",
    "end": "resolved_at",
    "end_time": "resolved_at",
    "end_date": "resolved_at",
    "incident_end": "resolved_at",
    "impact_end": "resolved_at",
    "resolved_time": "resolved_at",
    "detected": "detected_at",
    "detection_time": "detected_at",
    "detected_time": "detected_at",
    "priority": "severity",
    "level": "severity",
    "incident_severity": "severity",
    "labels": "tags",
    "owner": "author",
    "what_went_well": "went_well",
    "what_went_wrong": "went_wrong",
    "what_didnt_go_well": "went_wrong",
    "where_we_got_lucky": "got_lucky",
    "lucky": "got_lucky",
    "why_did_it_happen": "why",
    "root_causes": "why",
    "lessons_learned": "why",
    "follow_ups": "action_items",
    "actions": "action_items",
    "severity_level": "severity",
    "acknowledged": "responded_at",
    "acknowledged_at": "responded_at",
    "responded": "responded_at",
    "root_cause_identified": "understood_at",
    "identified": "understood_at",
    "identified_at": "understood_at",
    "understood": "understood_at",
    "mitigated": "mitigated_at",
    "partially_recovered_at": "mitigated_at",
    "all_clear": "resolved_at",
    "recovered_at": "resolved_at",
    "closed_at": "resolved_at",
}
TOP_KEYS = {
    "id", "title", "investigation_doc", "author", "severity", "date", "timezone", "reviewers", "impact_summary",
    "timeline", "started_at", "detected_at", "resolved_at", "blast_radius", "timing", "participants", "teams", "went_well",
    "went_wrong", "got_lucky", "why", "action_items", "exclude_from_metrics", "tags", "status", "mitigated_at",
    "responded_at", "understood_at",
}
NESTED_KEYS = {
    "blast_radius": {"clinics", "providers", "patients", "apps"},
    "timing": {"time_to_detect", "time_to_response", "time_to_understand", "time_to_partial_recovery",
               "time_to_solution", "time_to_full_recovery", "total_duration", "time_to_mitigate"},
    "participants": {"techops_engineers", "software_engineers", "security_engineers"},
}
NESTED_ALIASES = {
    "clinics_affected": "clinics", "providers_affected": "providers", "patients_affected": "patients",
    "apps_affected": "apps", "apis": "apps",
    "time_to_respond": "time_to_response", "time_to_detection": "time_to_detect",
    "time_to_recovery": "total_duration", "time_to_resolve": "total_duration", "duration": "total_duration",
    "techops": "techops_engineers", "software": "software_engineers", "security": "security_engineers",
    "clinics_impacted": "clinics", "providers_impacted": "providers", "patients_impacted": "patients",
    "ttd": "time_to_detect", "mttd": "time_to_detect", "tta": "time_to_response", "mtta": "time_to_response",
    "ttm": "time_to_mitigate", "mttm": "time_to_mitigate", "ttr": "total_duration", "mttr": "total_duration",
    "duration_min": "total_duration",
    # pm-analytics' own column names, as an export of its tables writes them.
    "time_to_detect_min": "time_to_detect", "time_to_respond_min": "time_to_response",
    "time_to_understand_min": "time_to_understand", "time_to_partial_recovery_min": "time_to_partial_recovery",
    "time_to_solution_min": "time_to_solution", "time_to_full_recovery_min": "time_to_full_recovery",
}


class YamlError(ValueError):
    """A YAML document that cannot be read; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def load_yaml(text: str, line_offset: int = 0) -> Any:
    """Parse one YAML document safely; raise :class:`YamlError` with the line of the fault."""
    try:
        data = yaml.load(text, Loader=PostMortemLoader)  # noqa: S506 - PostMortemLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        tag = re.search(r"tag '([^']+)'", str(exc))
        if "could not determine a constructor" in str(exc) and tag:
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise YamlError(f"unsafe or unknown YAML tag '{name}' is not allowed (only plain YAML values are read)", line) from None
        raise YamlError(f"malformed YAML: {exc.problem or exc.context or 'cannot be parsed'}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"malformed YAML: {exc}") from None
    except RecursionError:
        raise YamlError("YAML nested too deeply") from None
    _check_size(data)
    return data


def _check_size(data: Any) -> None:
    """Refuse documents whose aliases expand past ``MAX_NODES`` values ("billion laughs")."""
    stack, seen = [data], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise YamlError(
                f"expands to more than {MAX_NODES:,} values (YAML aliases?); refusing a document that may expand without bound"
            )
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def raw_from_yaml(data: Any, text: str, line_offset: int = 0, where: str = "YAML") -> RawDoc:
    """Map a loaded YAML mapping onto :class:`RawDoc` keys, warning about keys it does not know."""
    doc = RawDoc(line_finder=yaml_line_finder(text, line_offset), default_rule=f"{where} key")
    if data is None:
        return doc
    if not isinstance(data, dict):
        raise YamlError(f"{where} must be a mapping of field: value, not a {type(data).__name__}", 1 + line_offset)
    for key, value in data.items():
        name = KEY_ALIASES.get(snake_key(str(key)), snake_key(str(key)))
        if name == "impact_summary" and isinstance(value, dict):
            # "impact: {patients: 1200, clinics: 3, summary: ...}": the blast radius, with its text.
            text = next((value[k] for k in ("summary", "description", "text") if isinstance(value.get(k), str)), None)
            if text is not None:
                _put(doc, "impact_summary", text)
            value = {k: v for k, v in value.items() if k not in ("summary", "description", "text")}
            name = "blast_radius"
        if name in NESTED:
            if value is None:
                doc.placeholders.add(name)
                continue
            if not isinstance(value, dict):
                doc.problem("warning", name, f"'{name}' should be a mapping; ignored")
                continue
            for sub, sub_value in value.items():
                sub_name = NESTED_ALIASES.get(snake_key(str(sub)), snake_key(str(sub)))
                if sub_name not in NESTED_KEYS[name]:
                    doc.problem("warning", f"{name}.{sub}", f"unknown key '{sub}' in {name}; ignored")
                    continue
                _put(doc, f"{name}.{sub_name}", sub_value)
        elif name in TOP_KEYS:
            _put(doc, name, value)
        else:
            flat = _find_nested(name)
            if flat:
                _put(doc, flat, value)
            else:
                doc.problem("warning", str(key), f"unknown key '{key}' ignored")
    return doc


def _put(doc: RawDoc, key: str, value: Any) -> None:
    from pm_analytics.parse.values import is_placeholder

    if is_placeholder(value):
        doc.placeholders.add(key)
        return
    doc.set(key, value)


def _find_nested(name: str) -> str | None:
    name = NESTED_ALIASES.get(name, name)
    for parent, keys in NESTED_KEYS.items():
        if name in keys:
            return f"{parent}.{name}"
    return None


@lru_cache(maxsize=4096)
def snake_key(key: str) -> str:
    """``Started At``, ``startedAt`` and ``started-at`` -> ``started_at``."""
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(key)[:100].strip())
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def load_toml(text: str, line_offset: int = 0) -> Any:
    """Parse TOML front matter (``+++``); raise :class:`YamlError` with the line of the fault."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise YamlError(f"malformed TOML front matter: {exc}",
                        int(line.group(1)) + line_offset if line else None) from None
