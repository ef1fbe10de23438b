"""/api/v1/meetings: list, read, create and change meetings."""

from __future__ import annotations

from service.api.common import api_blueprint

bp = api_blueprint("api_meetings", "/meetings", "Meetings of the network.")
