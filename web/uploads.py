"""Where the import wizard's uploads wait for their import (pages and API alike)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app


def upload_dir() -> Path:
    """`EVENT_LOG_UPLOAD_DIR` in the config, else a folder in the system's temporary files."""
    configured = current_app.config.get("EVENT_LOG_UPLOAD_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "polku-uploads"
