"""What changes between two packs, rule by rule: ``broker policy diff OLD NEW`` and replays."""

from __future__ import annotations

from typing import Any

from broker.policy.pack import PolicyPack, pack_digest


def pack_diff(old: PolicyPack, new: PolicyPack) -> list[dict[str, Any]]:
    """Every changed value, as ``{"path", "change", "old", "new"}``; bases are named by id,
    so reordering them changes nothing. ``version`` and the texts are reported like the rules."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    changes = _fields("", {k: v for k, v in before.items() if k != "bases"},
                      {k: v for k, v in after.items() if k != "bases"})
    old_bases = {basis["id"]: basis for basis in before["bases"]}
    new_bases = {basis["id"]: basis for basis in after["bases"]}
    for basis_id in sorted(old_bases.keys() | new_bases.keys()):
        path = f"bases[{basis_id}]"
        if basis_id not in new_bases:
            changes.append({"path": path, "change": "removed", "old": old_bases[basis_id]})
        elif basis_id not in old_bases:
            changes.append({"path": path, "change": "added", "new": new_bases[basis_id]})
        else:
            changes += _fields(path + ".", old_bases[basis_id], new_bases[basis_id])
    return changes


def _fields(prefix: str, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    changes = []
    for key in sorted(before.keys() | after.keys()):
        if key == "id":
            continue
        if before.get(key) != after.get(key):
            changes.append({"path": prefix + key, "change": "changed", "old": before.get(key),
                            "new": after.get(key)})
    return changes


def describe_diff(old: PolicyPack, new: PolicyPack) -> str:
    """Plain text, one line per change: ``~`` changed, ``+`` added, ``-`` removed."""
    lines = [f"{old.id} {old.version} ({pack_digest(old)})",
             f"  -> {new.id} {new.version} ({pack_digest(new)})"]
    changes = pack_diff(old, new)
    for change in changes:
        if change["change"] == "added":
            basis = change["new"]
            lines.append(f"+ {change['path']}: {basis['title']} ({basis['citation']}), "
                         f"{basis['decision']}, roles {', '.join(basis['roles'])}")
        elif change["change"] == "removed":
            lines.append(f"- {change['path']}: {change['old']['title']}")
        else:
            lines.append(f"~ {change['path']}: {_show(change['old'], change['new'])}")
    if not changes:
        lines.append("no rule changes")
    return "\n".join(lines) + "\n"


def _show(old: Any, new: Any) -> str:
    if isinstance(old, list) and isinstance(new, list):
        added = [item for item in new if item not in old]
        removed = [item for item in old if item not in new]
        parts = [f"+ {item}" for item in added] + [f"- {item}" for item in removed]
        if not parts:
            return f"reordered: {', '.join(map(str, new))}"
        return "; ".join(str(part) for part in parts)
    return f"{_scalar(old)} -> {_scalar(new)}"


def _scalar(value: Any) -> str:
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:57] + "...")
    return repr(value) if isinstance(value, str) or value is None else str(value)
