"""Lists people browse in the console: the camera registry by name, a camera's clips, the
latest checkpoints, the people who may appear in the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, func, or_, select

from broker.common.times import rfc3339
from broker.domain.person import PERSON_PREFIX
from broker.readmodel.tables import audit_checkpoints, audit_tree, cameras, clips, people


def browse_cameras(conn: Connection, text: str | None, *, limit: int,
                   offset: int) -> tuple[list[RowMapping], int]:
    """Cameras by name (every status), matching ``text`` in name, address, agency or purpose;
    one page and the number of matches."""
    query = select(cameras)
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(or_(cameras.c.name.ilike(pattern), cameras.c.address.ilike(pattern),
                                cameras.c.agency.ilike(pattern), cameras.c.purpose.ilike(pattern)))
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = conn.execute(query.order_by(cameras.c.name, cameras.c.id).limit(limit)
                        .offset(offset)).mappings()
    return list(rows), total


def clips_of_camera(conn: Connection, camera_id: str, limit: int) -> list[RowMapping]:
    query = (select(clips).where(clips.c.camera_id == camera_id)
             .order_by(clips.c.start.desc(), clips.c.id).limit(limit))
    return list(conn.execute(query).mappings())


def recent_checkpoints(conn: Connection, limit: int) -> dict[str, Any]:
    """The tree's size now and the newest signed checkpoints (size, root, when)."""
    size = conn.execute(select(audit_tree.c.size).where(audit_tree.c.id == 1)).scalar_one_or_none()
    rows = conn.execute(select(audit_checkpoints.c.tree_size, audit_checkpoints.c.root_hash,
                               audit_checkpoints.c.created_at)
                        .order_by(audit_checkpoints.c.tree_size.desc()).limit(limit)).all()
    return {"tree_size": int(size or 0),
            "checkpoints": [{"tree_size": int(r[0]), "root_hex": bytes(r[1]).hex(),
                             "created_at": rfc3339(r[2])} for r in rows]}


def people_names(conn: Connection) -> dict[str, str]:
    """Each person's actor id (``person:<uuid>``) and display name, to show names for ids."""
    return {f"{PERSON_PREFIX}{row[0]}": str(row[1])
            for row in conn.execute(select(people.c.id, people.c.display_name))}


def people_list(conn: Connection) -> list[RowMapping]:
    query = select(people.c.id, people.c.display_name, people.c.role, people.c.agency,
                   people.c.status).order_by(people.c.display_name)
    return list(conn.execute(query).mappings())
